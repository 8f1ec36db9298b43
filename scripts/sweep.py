"""Run the baseline sweep and write its gap/bias table and figures.

    python scripts/sweep.py                      # the cpu preset (the default), into runs/sweep-cpu
    python scripts/sweep.py --envs CountRecallEasy NavigatorEasy --memories gru lru mingru \\
        --seeds 8 --steps 2.048e6 --obs-size 128 --out runs/sweep-2m
    python scripts/sweep.py --preset smoke --out /tmp/tiny   # probe-sized, seconds (tests)
    python scripts/sweep.py --preset paper --shard 0/8     # the paper grid, one of 8 hosts
    python scripts/sweep.py --preset capacity    # gru, lru, mingru at 1-3 layers x 32-256 units

Grid: games x {MDP, POMDP, MDP without memory} x memory models x seeds, and x capacities with
--layers or --hidden-sizes (their product; capacity.png plots the gap against the bias of each
model and capacity, the Pareto frontier marked). With --switch-at S, each cell trains on the
other twin for its first S env steps, and is named apart (e.g. probe:one_bit/MDP/lru/switch-at-64,
or .../lru/1x8/switch-at-64 in a capacity grid), so switched cells can join a folder of
unswitched ones. Finished cells are kept in OUT/records.jsonl and skipped by a rerun with the
same settings; OUT ends with table.csv, table.md and the figures, of every record in OUT (a rerun
with a smaller grid keeps the rows of a larger one). SIGINT or SIGTERM stops the sweep at the
next chunk of updates (exit code 130 or 143), recorded cells kept. --shard I/N splits the cells
between N independent processes (cell i to process i mod N; in a SLURM job array, by default,
the array task's index and count), each appending to OUT/records-shard-I-of-N.jsonl; the report
merges every records file in OUT:

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
from baselines.experiments import cli, interrupt
from baselines.experiments.loggers import LOGGERS, check_available
from baselines.experiments.report import write_folder_report
from baselines.experiments.sweep import (
    CAPACITY,
    DEFAULT_AGENT,
    PAPER,
    TINY,
    TINY_CAPACITY,
    Shard,
    SweepConfig,
    run_sweep,
)

PRESETS = {
    "smoke": TINY,
    "cpu": SweepConfig(),
    "paper": PAPER,
    "capacity": CAPACITY,
    "capacity-smoke": TINY_CAPACITY,
}
# Env steps/s of a whole sweep, where measured: the cpu preset on the 2-core CPU, compiles,
# diagnostics and report included (2,457,600 env steps in 888 s). No GPU figure has been measured
# (`scripts/bench_device.py`).
MEASURED_STEPS_PER_S = {"cpu": 2_750}

# The agent options' defaults: the sweep's own agent, the other algorithms' config defaults.
AGENT_TEMPLATES = [
    DEFAULT_AGENT if name == DEFAULT_AGENT.algorithm else algorithm.config_type
    for name, algorithm in ALGORITHMS.items()
]


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, SweepConfig]:
    """The command line's settings, and the sweep they ask for (parser.error if it is bad)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--preset",
        choices=PRESETS,
        default="cpu",
        help="settings to start from: smoke (seconds, tests), cpu (the default; under 20 minutes "
        "on 2 cores), paper (every game x the paper's 7 models, 1e7 steps: GPUs), capacity (the "
        "cpu game and budget, gru, lru and mingru at 1-3 layers x 32-256 units: 84 cells), "
        "capacity-smoke (its grid at probe size: tests)",
    )
    parser.add_argument("--tiny", action="store_true", help="the same as --preset smoke")
    parser.add_argument(
        "--seeds", type=cli.positive_integer, help="seeds 0..N-1 (default: the preset's)"
    )
    parser.add_argument("--algorithm", choices=sorted(ALGORITHMS), help="default: pqn")
    parser.add_argument("--out", help="output folder (default: runs/sweep-PRESET)")
    parser.add_argument(
        "--log", choices=LOGGERS, help="also log metrics to TensorBoard or W&B (the log extra)"
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--shard",
        help="I/N: run cells i with i mod N == I, into OUT/records-shard-I-of-N.jsonl "
        "(default: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT in a job array, else all)",
    )
    parser.add_argument("--coordinator-address", default=os.environ.get("JAX_COORDINATOR_ADDRESS"))
    parser.add_argument("--num-processes", type=int, default=_env_int("JAX_NUM_PROCESSES"))
    parser.add_argument("--process-id", type=int, default=_env_int("JAX_PROCESS_ID"))
    sweep_names = cli.add_options(
        parser,
        [SweepConfig()],
        lambda _: "sweep",
        skip=("seeds", "agent"),
        aliases={"env_ids": "--envs"},
    )
    agent_names = cli.add_options(
        parser, AGENT_TEMPLATES, label=lambda t: t.algorithm, skip=("memory",),
        aliases={"total_steps": "--steps"},
    )  # fmt: skip
    args = parser.parse_args(argv)
    cli.build(parser, lambda: args.log and check_available(args.log))
    args.preset = "smoke" if args.tiny else args.preset
    base = PRESETS[args.preset]
    algorithm = args.algorithm or base.agent.algorithm
    template = base.agent if algorithm == base.agent.algorithm else config_type(algorithm)
    agent = cli.agent_config(parser, template, cli.given(args, agent_names))
    changes = cli.given(args, sweep_names)
    if args.seeds is not None:
        changes["seeds"] = tuple(range(args.seeds))
    return args, cli.build(parser, lambda: dataclasses.replace(base, agent=agent, **changes))


def _env_int(name: str) -> int | None:
    return int(os.environ[name]) if name in os.environ else None


def is_multi_process(args: argparse.Namespace) -> bool:
    launched = any(
        int(os.environ.get(v, "1")) > 1 for v in ("SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE")
    )
    return launched or args.coordinator_address is not None


def plan(config: SweepConfig, steps_per_s: float | None) -> str:
    """The grid, the budget and, from a measured env steps/s, the expected wall time."""
    cells, agent = config.cells(), config.train_config(config.baseline)
    total = len(cells) * len(config.seeds) * agent.num_updates * agent.steps_per_update
    capacities, grid = config.capacities(), ""
    if capacities != (None,):
        layers, units = (sorted({c[i] for c in capacities}) for i in (0, 1))
        grid = (
            f" x {len(capacities)} capacities ({'/'.join(map(str, layers))} layers x "
            f"{'/'.join(map(str, units))} units)"
        )
    text = (
        f"sweep: {len(config.env_ids)} games x {len(config.memories)} memory models{grid} "
        f"(+ {config.baseline} on the MDP) = {len(cells)} cells x {len(config.seeds)} seeds, "
        f"{agent.algorithm} at {agent.num_updates * agent.steps_per_update:,} env steps per seed"
        + (f" (the first {config.switch_at:,} on the other twin)" if config.switch_at else "")
        + f", {config.obs_size} px: {total:,} env steps"
    )
    if steps_per_s is None:
        return text + " (no measured steps/s for this preset: no time estimate)"
    hours = total / steps_per_s / 3600
    return text + f"; about {hours * 60:.0f} minutes at {steps_per_s:,} env steps/s (as measured)"


def main(argv: list[str] | None = None) -> None:
    args, config = parse_args(argv)
    try:
        shard = Shard.parse(args.shard) if args.shard else Shard.from_environment(os.environ)
    except ValueError as error:
        sys.exit(f"sweep.py: error: {error}")
    if is_multi_process(args):
        jax.distributed.initialize(args.coordinator_address, args.num_processes, args.process_id)
    out = args.out or f"runs/sweep-{args.preset}"
    if jax.process_index() == 0:
        print(plan(config, MEASURED_STEPS_PER_S.get(args.preset)), file=sys.stderr)
    try:
        run_sweep(config, out, progress=not args.no_progress, shard=shard, metrics_log=args.log)
    except ValueError as error:  # the folder holds a sweep with other settings
        sys.exit(f"sweep.py: error: {error}")
    if jax.process_index() == 0:
        records = write_folder_report(out, baseline=config.baseline)
        print(f"sweep: report of all {len(records)} records in {out}", file=sys.stderr)
        print(Path(out, "table.md").read_text())


if __name__ == "__main__":
    interrupt.exit_after(main)
