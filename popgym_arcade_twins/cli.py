"""The `popgym-arcade-twins` command: list ids, render MDP | POMDP GIFs, play an id yourself."""

from __future__ import annotations

import argparse
import dataclasses
import json

from popgym_arcade_twins import registered_envs
from popgym_arcade_twins.gifs import POLICIES, render_gif


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="popgym-arcade-twins", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="print every registered id")
    gif = commands.add_parser("gif", help="write one episode as an MDP | POMDP GIF")
    gif.add_argument("env_id", help="e.g. CountRecallEasy")
    gif.add_argument("--out", help="GIF path (default: <env_id>.gif)")
    gif.add_argument("--policy", choices=POLICIES, default="expert")
    gif.add_argument("--seed", type=int, default=0)
    gif.add_argument("--size", type=int, default=128, help="frame size in pixels")
    gif.add_argument("--max-steps", type=int, default=300)
    gif.add_argument("--fps", type=int, default=12)
    play = commands.add_parser(
        "play", help="play an id in a window: arrows, space fires, Esc quits (needs pygame)"
    )
    play.add_argument("env_id", help="e.g. BreakoutEasy")
    play.add_argument("--pomdp", action="store_true", help="the partially observable twin")
    play.add_argument("--size", type=int, default=256, help="frame size in pixels")
    play.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(registered_envs()))
        return
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
