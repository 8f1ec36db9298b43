"""Train one (env id, variant, memory model) with PQN, PPO or streaming Q(lambda) over seeds,
from the command line.

    python scripts/train.py CartPoleEasy --algorithm pqn --memory lru --steps 2e6 --seeds 2
    python scripts/train.py CountRecallEasy --pomdp --algorithm ppo --memory gru --out runs/cr
    python scripts/train.py CountRecallEasy --pomdp --algorithm stream_q --gradient rtrl

Settings left out take the algorithm's config defaults (baselines/agents/config.py); a setting the
algorithm does not have (e.g. --num-envs for stream_q, whose agents each own one env) is an error.

Prints a JSON summary (final return per seed, env steps/s); with --out, writes config.json,
metrics.jsonl, state.npz (a checkpoint after every chunk) and params.msgpack there. A folder holding
a run with other settings is refused; --resume continues an unfinished run of the same settings
(after SIGINT or SIGTERM, which stop at the next chunk with exit code 130 or 143); a finished run
is not trained again.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

import numpy as np

from baselines.agents.registry import ALGORITHMS, config_type
from baselines.experiments import interrupt
from baselines.experiments.experiment import run

# Command-line settings passed to the config when given (dest name = config field).
SETTINGS = ("memory", "hidden_size", "num_envs", "rollout_steps", "learning_rate", "gradient")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("env_id")
    parser.add_argument("--pomdp", action="store_true", help="train on the POMDP twin")
    parser.add_argument("--algorithm", choices=sorted(ALGORITHMS), default="pqn")
    parser.add_argument("--memory", help="a MEMORY_MODELS name (default: the config's)")
    parser.add_argument("--steps", type=float, default=1e6, help="env steps per seed")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--num-envs", type=int)
    parser.add_argument("--rollout-steps", type=int)
    parser.add_argument("--hidden-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--gradient", choices=("rtrl", "tbptt1"), help="stream_q only")
    parser.add_argument("--obs-size", type=int, default=128)
    parser.add_argument("--chunk", type=int, default=10, help="updates per jitted chunk")
    parser.add_argument("--out", help="run folder for metrics, config and parameters")
    parser.add_argument(
        "--resume", action="store_true", help="continue the unfinished run in --out"
    )
    args = parser.parse_args()
    config_class = config_type(args.algorithm)
    given = {name: getattr(args, name) for name in SETTINGS if getattr(args, name) is not None}
    fields = {field.name for field in dataclasses.fields(config_class)}
    for name in given.keys() - fields:
        parser.error(f"--{name.replace('_', '-')} does not apply to {args.algorithm}")
    try:
        config = config_class(total_steps=int(args.steps), **given)
    except (KeyError, ValueError) as error:  # a bad name or value, said by the config
        parser.error(str(error))
    try:
        result = run(
            args.env_id, args.pomdp, config, seeds=list(range(args.seeds)),
            obs_size=args.obs_size, chunk_updates=args.chunk, out_dir=args.out,
            resume=args.resume,
        )  # fmt: skip
    except ValueError as error:  # the folder holds another run, or an unfinished one
        sys.exit(f"train.py: error: {error}")
    returns = result.curves["episode_return"]
    last = max(1, returns.shape[1] // 10)
    summary = {
        "env_id": args.env_id,
        "variant": "POMDP" if args.pomdp else "MDP",
        "algorithm": args.algorithm,
        "memory": config.memory,
        "env_steps_per_seed": int(result.env_steps[-1]),
        "final_return": np.nanmean(returns[:, -last:], axis=1).round(4).tolist(),
        "steps_per_s": round(result.steps_per_s),
        "wall_s": round(result.wall_s, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    interrupt.exit_after(main)
