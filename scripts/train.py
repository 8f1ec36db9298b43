"""Train one (env id, variant, memory model) with PQN, PPO, DQN or streaming Q(lambda) over
seeds, from the command line.

    python scripts/train.py CartPoleEasy --algorithm pqn --memory lru --steps 2.048e6 --seeds 2
    python scripts/train.py CartPoleEasy --algorithm dqn --memory lru --steps 2e4
    python scripts/train.py CountRecallEasy --pomdp --algorithm ppo --memory gru --out runs/cr
    python scripts/train.py CountRecallEasy --pomdp --algorithm stream_q --gradient rtrl
    python scripts/train.py CountRecallEasy --pomdp --steps 2.048e6 --switch-at 1.024e6

Every field of the algorithm's config (baselines/agents/config.py) is an option; settings left out
take its defaults, and a setting the algorithm does not have (e.g. --num-envs for stream_q, whose
agents each own one env) is an error, as is a --steps budget that is not a whole number of updates.

Prints a JSON summary (final return per seed, env steps/s); with --out, writes config.json,
metrics.jsonl, state.npz (a checkpoint after every chunk) and params.msgpack there. A folder holding
a run with other settings is refused; --resume continues an unfinished run of the same settings
(after SIGINT or SIGTERM, which stop at the next chunk with exit code 130 or 143); a finished run
is not trained again. --switch-at STEPS flips the variant once, at that env step per seed (a whole
number of updates, at most --steps): the run goes on from the same env states, memory carries and
parameters on the other twin (--pomdp names the variant it starts on).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from baselines.agents import switching
from baselines.agents.config import AgentConfig
from baselines.agents.registry import ALGORITHMS, config_type
from baselines.experiments import cli, interrupt
from baselines.experiments.experiment import run
from baselines.experiments.loggers import LOGGERS, check_available
from popgym_arcade_twins import tasks

CONFIG_TYPES = [algorithm.config_type for algorithm in ALGORITHMS.values()]


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, AgentConfig]:
    """The command line's settings, and the config they ask for (parser.error if it is bad)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("env_id", help="a registered id, or probe:<task>")
    parser.add_argument("--pomdp", action="store_true", help="train on the POMDP twin")
    parser.add_argument(
        "--switch-at", type=cli.integer, metavar="STEPS", help="switch twins at this env step"
    )
    parser.add_argument("--algorithm", choices=sorted(ALGORITHMS), default="pqn")
    parser.add_argument("--seeds", type=cli.positive_integer, default=1, help="seeds 0..N-1")
    parser.add_argument("--obs-size", type=cli.positive_integer, default=128)
    parser.add_argument("--chunk", type=cli.positive_integer, default=10, help="updates per jit")
    parser.add_argument("--out", help="run folder for metrics, config and parameters")
    parser.add_argument(
        "--log", choices=LOGGERS, help="also log metrics to TensorBoard or W&B (the log extra)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the unfinished run in --out"
    )
    names = cli.add_options(
        parser, CONFIG_TYPES, label=lambda cls: cls.algorithm, aliases={"total_steps": "--steps"}
    )
    args = parser.parse_args(argv)
    cli.build(parser, lambda: args.log and check_available(args.log))
    config = cli.agent_config(parser, config_type(args.algorithm), cli.given(args, names))
    cli.build(parser, lambda: tasks.make(args.env_id, args.pomdp, args.obs_size))
    if args.switch_at is not None:
        cli.build(parser, lambda: switching.switch_update(args.switch_at, config))
    return args, config


def main(argv: list[str] | None = None) -> None:
    args, config = parse_args(argv)
    try:
        result = run(
            args.env_id, args.pomdp, config, seeds=list(range(args.seeds)),
            obs_size=args.obs_size, chunk_updates=args.chunk, out_dir=args.out,
            resume=args.resume, log=args.log, switch_at=args.switch_at,
        )  # fmt: skip
    except ValueError as error:  # the folder holds another run, or an unfinished one
        sys.exit(f"train.py: error: {error}")
    returns = result.curves["episode_return"]
    last = max(1, returns.shape[1] // 10)
    summary = {
        "env_id": args.env_id,
        "variant": "POMDP" if args.pomdp else "MDP",  # the first, with a switch
        "switch_at": args.switch_at,
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
