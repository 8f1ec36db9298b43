"""Reference returns: the random policy's and the scripted expert's, per id, as the harness
measures them for every sweep record (`harness.reference_returns`: first episodes of independent
envs). Neither reads the frames, so one number serves both twins. Prints one JSON line per id:
each reference's mean return, its standard error, 10th percentile and the share of episodes with a
positive return (in Navigator, how often an episode finds the treasure).

    python scripts/bench_references.py                 # every game's Easy id, 256 episodes
    python scripts/bench_references.py --ids MineSweeperEasy MineSweeperHard --episodes 1024
"""

from __future__ import annotations

import argparse
import json

import jax
import numpy as np

import popgym_arcade_twins as pat
from baselines.experiments import cli
from popgym_arcade_twins import GAMES, harness
from popgym_arcade_twins.core import Params, TwinEnv


def references(env_id: str, env: TwinEnv, params: Params, episodes: int) -> dict:
    """Mean, standard error, 10th percentile and share above 0 of each reference's return on
    `env` (key 0)."""
    measured = jax.jit(lambda key: harness.reference_returns(env, params, key, episodes))
    line = {"id": env_id, "episodes": episodes}
    for name, returns in measured(jax.random.key(0)).items():
        returns = np.asarray(returns)
        line |= {
            f"{name}_return": round(float(returns.mean()), 4),
            f"{name}_sem": round(float(returns.std(ddof=1) / np.sqrt(episodes)), 4),
            f"{name}_p10": round(float(np.percentile(returns, 10)), 4),
            f"{name}_positive": round(float((returns > 0).mean()), 4),
        }
    return line


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ids", nargs="*", default=[f"{game.name}Easy" for game in GAMES])
    parser.add_argument("--episodes", type=cli.positive_integer, default=256)
    args = parser.parse_args(argv)
    try:  # every id before any work
        envs = {env_id: pat.make(env_id, obs_size=64) for env_id in args.ids}
    except ValueError as error:
        parser.error(str(error))
    for env_id, (env, params) in envs.items():
        print(json.dumps(references(env_id, env, params, args.episodes)), flush=True)


if __name__ == "__main__":
    main()
