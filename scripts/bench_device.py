"""Device benchmark: the throughput figures of every kind, measured in one run on whatever JAX
device is present, one JSON line per figure (each with the device kind, backend and the jax and
jaxlib versions).

    python scripts/bench_device.py --out assets/bench_device.jsonl   # on a GPU, minutes
    python scripts/bench_device.py --parts envs memory
    python scripts/bench_device.py --tiny                             # every part, CPU, seconds

Parts (figure names in brackets):
  envs    env steps/s of `bench_envs`' rollout (every pixel consumed), every id and both twins
          [env_steps_per_s];
  train   training env steps/s of PQN and PPO with lru and gru, compile seconds apart
          [train_steps_per_s];
  memory  forward + backward seconds of each memory model's sequence paths and its step scan,
          as `bench_memory` times them [fwd_bwd_s];
  sweep   wall seconds of one cell of the default sweep, compile included [cell_wall_s];
and after each part its wall seconds [part_wall_s].

Within a part, programs are compiled several at a time in threads (XLA releases the GIL while
it compiles; tracing stays serial), then measured one at a time with nothing compiling, each
after a warm-up call and timed with `block_until_ready`. A compile_s is the wall time of one
compile among up to --workers concurrent ones, so it overstates a lone compile.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

import jax
import jaxlib

if __package__ in (None, ""):  # run as a file: make `scripts` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from baselines.agents.config import TrainConfig
from baselines.agents.registry import config_type, make_trainer
from baselines.experiments.sweep import TINY as TINY_SWEEP
from baselines.experiments.sweep import SweepConfig, run_cell, seed_mesh
from baselines.memory import MEMORY_MODELS
from popgym_arcade_twins import registered_envs, tasks
from scripts import bench_envs, bench_memory

PARTS = ("envs", "train", "memory", "sweep")


@dataclass(frozen=True)
class Plan:
    """What each part measures, and how long each measurement runs."""

    env_ids: tuple[str, ...]
    env_settings: tuple[tuple[int, int], ...]  # (obs_size, num_envs)
    env_scan_steps: int  # steps of every env per timed call
    train_env: str  # the task id whose POMDP twin every training run learns
    train_runs: tuple[tuple[str, str], ...]  # (algorithm, memory)
    train_obs_sizes: tuple[int, ...]
    train_num_envs: tuple[int, ...]
    train_min_steps: int  # env steps per timed call, at least: whole updates
    memory_models: tuple[str, ...]
    memory_shape: tuple[int, int]  # (batch, sequence)
    memory_hiddens: tuple[int, ...]
    memory_repeats: int  # timed calls of each mode, after a warm-up one
    sweep: SweepConfig
    train_overrides: dict[str, Any] = field(default_factory=dict)  # config fields besides these
    compile_options: dict[str, Any] | None = None  # XLA compile options of every program


# Budget on one H100/H200-class GPU: 8 minutes. Tracing is Python, serial under the GIL, and
# measured on the 2-core development CPU; XLA:GPU compile and run times are estimates.
FULL = Plan(
    # envs: 30 ids x 2 twins x 5 settings = 300 programs. Tracing ~0.35 s each = ~105 s, the
    # compiles (~1.5 s each, 8 at a time: ~60 s) overlapping it. 128 steps per call at <= 1 ms
    # per step of the batch: <= 0.13 s per call, a warm-up and a timed call: <= 80 s. ~185 s.
    env_ids=tuple(registered_envs()),
    env_settings=((128, 512), (128, 2048), (128, 8192), (128, 16384), (256, 2048)),
    env_scan_steps=128,
    # train: 2 algorithms x 2 memories x 2 sizes x 2 env counts = 16 programs. Tracing ~2.5 s
    # each = ~40 s, compiles (~20 s each, 8 at a time) ~40 s overlapping it. A timed call is at
    # least 2^18 env steps (4096 envs x 64 rollout steps = 1 update; 512 envs: 8 updates), at
    # >= 0.5M steps/s <= 0.5 s; warm-up + timed x 16 <= 16 s. ~60 s.
    train_env="CountRecallEasy",
    train_runs=(("pqn", "lru"), ("pqn", "gru"), ("ppo", "lru"), ("ppo", "gru")),
    train_obs_sizes=(64, 128),
    train_num_envs=(512, 4096),
    train_min_steps=2**18,
    # memory: 24 (model, mode) programs x 2 hidden sizes = 48. Tracing ~0.5 s each = ~25 s,
    # compiles ~2 s each, 8 at a time. 1 + 5 calls each at <= 0.1 s (a 1024-step scan forward
    # and back): <= 30 s. ~60 s.
    memory_models=tuple(MEMORY_MODELS),
    memory_shape=(64, 1024),
    memory_hiddens=(128, 512),
    memory_repeats=5,
    # sweep: the first cell of the default sweep (2 seeds x 100k env steps, evaluation,
    # diagnostics): one program, compile ~60 s, run ~15 s. ~75 s.
    # Total with ~10 s of start-up: ~390 s.
    sweep=SweepConfig(),
)

TINY = Plan(
    env_ids=("CountRecallEasy",),
    env_settings=((64, 4),),
    env_scan_steps=4,
    train_env="probe:one_bit",
    train_runs=(("pqn", "lru"),),
    train_obs_sizes=(32,),
    train_num_envs=(4,),
    train_min_steps=16,
    memory_models=("none", "gru"),
    memory_shape=(2, 8),
    memory_hiddens=(8,),
    memory_repeats=1,
    sweep=TINY_SWEEP,
    train_overrides={"hidden_size": 8, "rollout_steps": 4, "num_minibatches": 2, "num_epochs": 1},
    compile_options={"xla_backend_optimization_level": 0},
)
"""Every part at toy sizes, compiled without LLVM optimization: seconds on CPU (tests)."""


def compiled_in_threads(jobs: Iterable[Callable[[], Any]], workers: int) -> list[Any]:
    """The result of each job, in order, once every job has finished: `workers` run at a time,
    and none is left running to overlap a measurement."""
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [future.result() for future in futures]


def env_figures(plan: Plan, workers: int) -> Iterator[dict]:
    """Steps/s of every id, twin and (obs size, env count), compiled one id at a time."""
    for env_id in plan.env_ids:
        settings = [
            (env_id, partial_obs, obs_size, num_envs, plan.env_scan_steps)
            for partial_obs in (False, True)
            for obs_size, num_envs in plan.env_settings
        ]
        jobs = [
            partial(bench_envs.compile_rollout, *setting, options=plan.compile_options)
            for setting in settings
        ]
        for setting, (compiled, compile_s) in zip(
            settings, compiled_in_threads(jobs, workers), strict=True
        ):
            run_s = bench_envs.time_rollout(compiled)
            yield {"figure": "env_steps_per_s"} | bench_envs.record(*setting, compile_s, run_s)


def train_config(plan: Plan, algorithm: str, memory: str, num_envs: int) -> TrainConfig:
    """The algorithm's default config with `memory` and `num_envs`, its budget whole updates of
    at least `plan.train_min_steps` env steps."""
    config = config_type(algorithm)(memory=memory, num_envs=num_envs, **plan.train_overrides)
    updates = -(-plan.train_min_steps // config.steps_per_update)
    return config.replace(total_steps=updates * config.steps_per_update)


def compile_training(plan: Plan, config: TrainConfig, obs_size: int) -> tuple[Callable, float]:
    """`trainer.train` (init, then every update of `config`'s budget) compiled, and the seconds
    that took (tracing included)."""
    start = time.perf_counter()
    env, env_params = tasks.make(plan.train_env, True, obs_size)
    train = jax.jit(make_trainer(config, env, env_params).train)
    compiled = train.lower(jax.random.key(0)).compile(plan.compile_options)
    return compiled, time.perf_counter() - start


def train_figures(plan: Plan, workers: int) -> Iterator[dict]:
    """Training env steps/s of each (algorithm, memory, obs size, env count); the timed call's
    init (env reset, network init) is negligible beside its updates."""
    settings = [
        (train_config(plan, algorithm, memory, num_envs), obs_size)
        for algorithm, memory in plan.train_runs
        for obs_size in plan.train_obs_sizes
        for num_envs in plan.train_num_envs
    ]
    jobs = [partial(compile_training, plan, *setting) for setting in settings]
    for (config, obs_size), (compiled, compile_s) in zip(
        settings, compiled_in_threads(jobs, workers), strict=True
    ):
        jax.block_until_ready(compiled(jax.random.key(0)))  # warm-up
        start = time.perf_counter()
        jax.block_until_ready(compiled(jax.random.key(1)))
        run_s = time.perf_counter() - start
        env_steps = config.num_updates * config.steps_per_update
        yield {
            "figure": "train_steps_per_s",
            "algorithm": config.algorithm,
            "memory": config.memory,
            "env_id": plan.train_env,
            "variant": "POMDP",
            "obs_size": obs_size,
            "num_envs": config.num_envs,
            "rollout_steps": config.rollout_steps,
            "updates": config.num_updates,
            "env_steps": env_steps,
            "compile_s": round(compile_s, 2),
            "temp_gib": round(compiled.memory_analysis().temp_size_in_bytes / 2**30, 3),
            "run_s": round(run_s, 6),
            "steps_per_s": round(env_steps / run_s),
        }


def memory_figures(plan: Plan, workers: int) -> Iterator[dict]:
    """`bench_memory`'s records of every model and mode, per hidden size; a mode other than
    sequential also gets its speed-up over the step scan."""
    batch, seq = plan.memory_shape
    for hidden in plan.memory_hiddens:
        x, start = bench_memory.inputs(batch, seq, hidden)
        models = {name: MEMORY_MODELS[name](hidden_size=hidden) for name in plan.memory_models}
        pairs = [(name, mode) for name in models for mode in bench_memory.modes_of(models[name])]
        jobs = [
            partial(bench_memory.compile_mode, models[name], mode, x, start, plan.compile_options)
            for name, mode in pairs
        ]
        results = compiled_in_threads(jobs, workers)
        compiled = dict(zip(pairs, results, strict=True))
        for name, model in models.items():
            modes = {mode: compiled[name, mode] for mode in bench_memory.modes_of(model)}
            timings = dict(bench_memory.time_modes(modes, plan.memory_repeats))
            for mode, timing in timings.items():
                record = {"figure": "fwd_bwd_s", "model": name, "mode": mode, "batch": batch}
                record |= {"seq": seq, "hidden": hidden} | timing
                if mode != "sequential" and timing["run_s"] > 0:
                    speedup = timings["sequential"]["run_s"] / timing["run_s"]
                    record["speedup_vs_sequential"] = round(speedup, 2)
                yield record


def sweep_figures(plan: Plan, workers: int) -> Iterator[dict]:
    """Wall seconds of the sweep's first cell: compile, train, evaluate, diagnose."""
    config = plan.sweep
    cell = config.cells()[0]
    start = time.perf_counter()
    run_cell(cell, config, seed_mesh())
    yield {
        "figure": "cell_wall_s",
        "cell": cell.name,
        "seeds": len(config.seeds),
        "env_steps_per_seed": config.agent.total_steps,
        "wall_s": round(time.perf_counter() - start, 2),
    }


FIGURES = {
    "envs": env_figures,
    "train": train_figures,
    "memory": memory_figures,
    "sweep": sweep_figures,
}


def device_fields() -> dict[str, str]:
    """What every line carries: the device and the software that ran it."""
    return {
        "device": jax.devices()[0].device_kind,
        "backend": jax.default_backend(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
    }


def run(plan: Plan, parts: Iterable[str], workers: int, out: IO[str] | None = None) -> list[dict]:
    """Measure `parts` of `plan`, printing (and writing to `out`) each line as it comes. A part
    that raises ends with an "error" line (traceback on stderr), and the next part runs."""
    common, lines = device_fields(), []

    def emit(part: str, figure: dict) -> None:
        line = {"part": part} | figure | common
        text = json.dumps(line)
        print(text, flush=True)
        if out:
            out.write(text + "\n")
            out.flush()
        lines.append(line)

    for part in parts:
        start = time.perf_counter()
        try:
            for figure in FIGURES[part](plan, workers):
                emit(part, figure)
        except Exception as error:
            traceback.print_exc()
            emit(part, {"figure": "error", "error": f"{type(error).__name__}: {error}"[:2000]})
        emit(part, {"figure": "part_wall_s", "wall_s": round(time.perf_counter() - start, 2)})
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--out", type=Path, help="also write the lines to this JSONL file")
    parser.add_argument("--tiny", action="store_true", help="every part at toy sizes (tests)")
    parser.add_argument(
        "--workers",
        type=int,
        default=max(1, (os.cpu_count() or 2) // 2),
        help="concurrent compiles (default: half the CPU cores)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[dict]:
    """Run the parts asked for; returns the lines printed."""
    args = parse_args(argv)
    plan = TINY if args.tiny else FULL
    if not args.out:
        return run(plan, args.parts, args.workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as out:
        return run(plan, args.parts, args.workers, out)


if __name__ == "__main__":
    failed = any(line["figure"] == "error" for line in main())
    sys.exit(1 if failed else 0)
