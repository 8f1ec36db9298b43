"""Run the baseline sweep and write its gap/bias table and figures.

    python scripts/sweep.py                      # the small CPU default, into runs/sweep-default
    python scripts/sweep.py --envs CountRecallEasy NavigatorEasy --memories gru lru mingru \\
        --seeds 8 --steps 2e6 --obs-size 128 --out runs/sweep-2m
    python scripts/sweep.py --tiny --out /tmp/tiny   # probe-sized, seconds (tests)

Grid: games x {MDP, POMDP, MDP without memory} x memory models x seeds. Finished cells are kept
in OUT/records.jsonl and skipped by a rerun with the same settings; OUT ends with table.csv,
table.md and the figures, of every record in OUT (a rerun with a smaller grid keeps the rows of
a larger one). SIGINT or SIGTERM stops the sweep at the next chunk of updates (exit code 130 or
143), recorded cells kept. --shard I/N splits the cells between N independent processes (cell i
to process i mod N; in a SLURM job array, by default, the array task's index and count), each
appending to OUT/records-shard-I-of-N.jsonl; the report merges every records file in OUT:

    python scripts/sweep.py --shard 0/2 --out runs/s & python scripts/sweep.py --shard 1/2 \\
        --out runs/s

The seed axis is sharded over every device JAX sees (padded to a
multiple of the device count); on several hosts, give --coordinator-address, --num-processes and
--process-id (or JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES and JAX_PROCESS_ID, or run under
SLURM or Open MPI) and jax.distributed joins them.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import jax

from baselines.agents.registry import ALGORITHMS, config_type
from baselines.experiments import interrupt
from baselines.experiments.report import write_folder_report
from baselines.experiments.sweep import TINY, Shard, SweepConfig, run_sweep


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tiny", action="store_true", help="probe-sized settings (tests)")
    parser.add_argument("--envs", nargs="+", help="env ids, or probe:<task>")
    parser.add_argument("--memories", nargs="+", help="memory models (the baseline is added)")
    parser.add_argument("--seeds", type=int, help="number of seeds (0, 1, ...)")
    parser.add_argument("--algorithm", choices=sorted(ALGORITHMS))
    parser.add_argument("--steps", type=float, help="env steps per seed")
    parser.add_argument("--obs-size", type=int)
    parser.add_argument("--hidden-size", type=int)
    parser.add_argument("--num-envs", type=int)
    parser.add_argument("--eval-episodes", type=int)
    parser.add_argument("--out", help="output folder (default: runs/sweep-default or -tiny)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--shard",
        help="I/N: run cells i with i mod N == I, into OUT/records-shard-I-of-N.jsonl "
        "(default: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT in a job array, else all)",
    )
    parser.add_argument("--coordinator-address", default=os.environ.get("JAX_COORDINATOR_ADDRESS"))
    parser.add_argument("--num-processes", type=int, default=_env_int("JAX_NUM_PROCESSES"))
    parser.add_argument("--process-id", type=int, default=_env_int("JAX_PROCESS_ID"))
    return parser.parse_args()


def _env_int(name: str) -> int | None:
    return int(os.environ[name]) if name in os.environ else None


def config_from(args: argparse.Namespace) -> SweepConfig:
    base = TINY if args.tiny else SweepConfig()
    agent_changes = {
        "total_steps": int(args.steps) if args.steps else None,
        "hidden_size": args.hidden_size,
        "num_envs": args.num_envs,
    }
    agent_changes = {k: v for k, v in agent_changes.items() if v is not None}
    if args.algorithm and args.algorithm != base.agent.algorithm:
        agent = config_type(args.algorithm)(**agent_changes)
    else:
        agent = base.agent.replace(**agent_changes)
    changes = {
        "env_ids": tuple(args.envs) if args.envs else None,
        "memories": tuple(args.memories) if args.memories else None,
        "seeds": tuple(range(args.seeds)) if args.seeds else None,
        "obs_size": args.obs_size,
        "eval_episodes": args.eval_episodes,
    }
    return dataclasses.replace(
        base, agent=agent, **{k: v for k, v in changes.items() if v is not None}
    )


def is_multi_process(args: argparse.Namespace) -> bool:
    launched = any(
        int(os.environ.get(v, "1")) > 1 for v in ("SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE")
    )
    return launched or args.coordinator_address is not None


def main() -> None:
    args = parse_args()
    try:
        shard = Shard.parse(args.shard) if args.shard else Shard.from_environment(os.environ)
    except ValueError as error:
        sys.exit(f"sweep.py: error: {error}")
    if is_multi_process(args):
        jax.distributed.initialize(args.coordinator_address, args.num_processes, args.process_id)
    config = config_from(args)
    out = args.out or f"runs/sweep-{'tiny' if args.tiny else 'default'}"
    try:
        run_sweep(config, out, progress=not args.no_progress, shard=shard)
    except ValueError as error:  # the folder holds a sweep with other settings
        sys.exit(f"sweep.py: error: {error}")
    if jax.process_index() == 0:
        records = write_folder_report(out, baseline=config.baseline)
        print(f"sweep: report of all {len(records)} records in {out}", file=sys.stderr)
        print(Path(out, "table.md").read_text())


if __name__ == "__main__":
    interrupt.exit_after(main)
