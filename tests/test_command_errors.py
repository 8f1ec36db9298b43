"""The popgym-arcade-twins command and make_twins refuse a user's mistake in one clear line,
before any work starts."""

import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins import cli


def refused(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(lines)
    return lines[-1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["gif", "CountRecalEasy"], "did you mean"),
        (["gif", "CountRecallEasy", "--max-steps", "-3"], "--max-steps: must be a positive"),
        (["gif", "CountRecallEasy", "--fps", "0"], "--fps: must be a positive integer, got '0'"),
        (["gif", "CountRecallEasy", "--size", "100"], "--size must be one of (64, 128, 256)"),
        (["gif", "CountRecallEasy-v9"], "has no version 9"),
    ],
)
def test_a_bad_gif_argument_is_one_line(capsys, tmp_path, argv, message):
    line = refused(capsys, [*argv, "--out", str(tmp_path / "x.gif")])
    assert line.startswith("popgym-arcade-twins") and "error:" in line and message in line
    assert not (tmp_path / "x.gif").exists()


def test_play_without_a_display_says_so_instead_of_hanging(capsys, monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli.sys, "platform", "linux")
    assert "no display was found" in refused(capsys, ["play", "BreakoutEasy"])


def test_make_twins_refuses_partial_obs_with_a_reason():
    with pytest.raises(TypeError, match="make_twins builds both variants"):
        pat.make_twins("CartPoleEasy", partial_obs=True)
