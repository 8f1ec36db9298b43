"""Render the README's GIFs: one MDP | POMDP episode per game into assets/.

python scripts/render_gifs.py                 # every game, Easy, expert policy
python scripts/render_gifs.py --ids CartPoleEasy --policy random
"""

from __future__ import annotations

import argparse
import json

from popgym_arcade_twins import GAMES
from popgym_arcade_twins.gifs import POLICIES, render_gif


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ids", nargs="*", default=[f"{game.name}Easy" for game in GAMES])
    parser.add_argument("--policy", choices=POLICIES, default="expert")
    parser.add_argument("--out-dir", default="assets")
    parser.add_argument("--max-steps", type=int, default=200)
    args = parser.parse_args()
    for env_id in args.ids:
        summary = render_gif(
            env_id, f"{args.out_dir}/{env_id}.gif", args.policy, max_steps=args.max_steps
        )
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
