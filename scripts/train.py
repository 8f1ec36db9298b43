"""Train one (env id, variant, memory model) with PQN or PPO over seeds, from the command line.

    python scripts/train.py CartPoleEasy --algorithm pqn --memory lru --steps 2e6 --seeds 2
    python scripts/train.py CountRecallEasy --pomdp --algorithm ppo --memory gru --out runs/cr

Prints a JSON summary (final return per seed, env steps/s); with --out, writes metrics.jsonl,
config.json and params.msgpack there.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from baselines.config import PPOConfig, PQNConfig
from baselines.experiment import run

CONFIGS = {"pqn": PQNConfig, "ppo": PPOConfig}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("env_id")
    parser.add_argument("--pomdp", action="store_true", help="train on the POMDP twin")
    parser.add_argument("--algorithm", choices=sorted(CONFIGS), default="pqn")
    parser.add_argument("--memory", default="lru")
    parser.add_argument("--steps", type=float, default=1e6, help="env steps per seed")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--rollout-steps", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--obs-size", type=int, default=128)
    parser.add_argument("--chunk", type=int, default=10, help="updates per jitted chunk")
    parser.add_argument("--out", help="run folder for metrics, config and parameters")
    args = parser.parse_args()
    changes = {"learning_rate": args.learning_rate} if args.learning_rate else {}
    config = CONFIGS[args.algorithm](
        memory=args.memory,
        hidden_size=args.hidden_size,
        num_envs=args.num_envs,
        rollout_steps=args.rollout_steps,
        total_steps=int(args.steps),
        **changes,
    )
    result = run(
        args.env_id, args.pomdp, args.algorithm, config, seeds=list(range(args.seeds)),
        obs_size=args.obs_size, chunk_updates=args.chunk, out_dir=args.out,
    )  # fmt: skip
    returns = result.curves["episode_return"]
    last = max(1, returns.shape[1] // 10)
    summary = {
        "env_id": args.env_id,
        "variant": "POMDP" if args.pomdp else "MDP",
        "algorithm": args.algorithm,
        "memory": args.memory,
        "env_steps_per_seed": int(result.env_steps[-1]),
        "final_return": np.nanmean(returns[:, -last:], axis=1).round(4).tolist(),
        "steps_per_s": round(result.steps_per_s),
        "wall_s": round(result.wall_s, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
