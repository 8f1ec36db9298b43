"""Helpers of the command-line tests."""


def assert_one_line_error(err: str, message: str) -> None:
    """argparse's usage, then one `error:` line holding `message`; no traceback."""
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert ": error: " in last and message in last, err
