"""cli.add_options: a dataclass's fields as typed options with their defaults and comments."""

import argparse
from dataclasses import dataclass

import pytest

from baselines.experiments import cli


@dataclass(frozen=True)
class Example:
    """An example config."""

    count: int = 3  # how many
    rate: float = 0.5
    name: str = "a"
    flag: bool = True
    names: tuple[str, ...] = ("x", "y")


def parse(*argv: str) -> tuple[dict, str]:
    parser = argparse.ArgumentParser()
    names = cli.add_options(parser, [Example], aliases={"count": "--n"})
    return cli.given(parser.parse_args(argv), names), parser.format_help()


def test_given_options_take_their_types_and_zero_is_given():
    values, _ = parse("--n", "1e3", "--rate", "0", "--no-flag", "--names", "p", "q", "r")
    assert values == {"count": 1000, "rate": 0.0, "flag": False, "names": ("p", "q", "r")}
    assert Example(**values).count == 1000


def test_options_left_out_are_not_given():
    assert parse()[0] == {}


def test_help_has_comments_defaults_and_the_docstring():
    help_text = parse()[1]
    assert "how many (default: 3)" in help_text
    assert "default: x y" in help_text and "--flag, --no-flag" in help_text
    assert "An example config." in help_text


@pytest.mark.parametrize("text", ["2.5", "many"])
def test_an_int_option_refuses_other_text(capsys, text):
    with pytest.raises(SystemExit) as exit_info:
        parse("--count", text)
    assert exit_info.value.code == 2
    assert f"expected an integer, got {text!r}" in capsys.readouterr().err


def test_a_field_type_without_an_option_is_an_error():
    @dataclass
    class Nested:
        inner: Example = Example()

    with pytest.raises(TypeError, match="no command-line option"):
        cli.add_options(argparse.ArgumentParser(), [Nested])
