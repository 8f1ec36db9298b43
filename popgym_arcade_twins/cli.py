"""The `popgym-arcade-twins` command: list ids, render MDP | POMDP GIFs, play an id yourself.

Every argument is checked before any work starts; a bad one ends in one line and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from popgym_arcade_twins import registered_envs
from popgym_arcade_twins.gifs import POLICIES, render_gif
from popgym_arcade_twins.registry import OBS_SIZES, game_version


def positive_integer(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def has_display() -> bool:
    """Whether a window can open: a dummy SDL driver, or an X11 or Wayland display off macOS and
    Windows, where there is always one."""
    if os.environ.get("SDL_VIDEODRIVER") or sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """parser.error for an unknown id, a frame size that is not offered, or no display."""
    try:
        game_version(args.env_id)  # an unknown id raises, with close matches
    except ValueError as error:
        parser.error(str(error))
    if args.size not in OBS_SIZES:
        parser.error(f"--size must be one of {OBS_SIZES}, got {args.size}")
    if args.command == "play" and not has_display():
        parser.error("play opens a window, and no display was found (DISPLAY is not set)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="popgym-arcade-twins", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="print every registered id")
    gif = commands.add_parser("gif", help="write one episode as an MDP | POMDP GIF")
    gif.add_argument("env_id", help="e.g. CountRecallEasy")
    gif.add_argument("--out", help="GIF path (default: <env_id>.gif)")
    gif.add_argument("--policy", choices=POLICIES, default="expert")
    gif.add_argument("--seed", type=int, default=0)
    gif.add_argument("--size", type=int, default=128, help=f"frame size in pixels, {OBS_SIZES}")
    gif.add_argument("--max-steps", type=positive_integer, default=300)
    gif.add_argument("--fps", type=positive_integer, default=12)
    play = commands.add_parser(
        "play", help="play an id in a window: arrows, space fires, Esc quits (needs pygame)"
    )
    play.add_argument("env_id", help="e.g. BreakoutEasy")
    play.add_argument("--pomdp", action="store_true", help="the partially observable twin")
    play.add_argument("--size", type=int, default=256, help=f"frame size in pixels, {OBS_SIZES}")
    play.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(registered_envs()))
        return
    check(parser, args)
    if args.command == "play":
        from popgym_arcade_twins.play import play as play_game  # imports pygame: only here

        summary = play_game(args.env_id, args.pomdp, obs_size=args.size, seed=args.seed)
        print(json.dumps(dataclasses.asdict(summary)))
        return
    summary = render_gif(
        args.env_id,
        args.out or f"{args.env_id}.gif",
        policy=args.policy,
        seed=args.seed,
        obs_size=args.size,
        max_steps=args.max_steps,
        fps=args.fps,
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
