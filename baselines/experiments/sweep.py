"""The baseline sweep: games x {MDP, POMDP, MDP without memory} x memory models x seeds, and
optionally x network capacities (a grid of memory layers x hidden sizes).

Each cell (one game, variant and memory model) runs jitted over its seeds: train (in chunks of
updates, a progress bar advancing between them), then evaluate the final greedy policy for
`eval_episodes` episodes (J is an evaluation return, not a training one), then diagnose it on a
paired rollout (recall density; saliency on one trajectory). With `switch_at`, each cell first
trains on the other twin for that many env steps, then on its own (`baselines.agents.switching`);
such cells are named apart from unswitched ones, so both can share a folder. The random policy's
and the scripted expert's returns (`harness.reference_returns`) are measured once per game and
variant, at the sweep's frame size and over its evaluation episodes, and stored with each record.
The seed axis is vmapped and sharded over every device JAX sees, across hosts too when
`jax.distributed` is initialized. Independent processes can split the cells (`Shard`: cell i to
process i mod N). Finished cells are appended to the process's log (`records.jsonl`, or one per
shard) one line each, atomically, so a rerun skips them; `report` turns every log of the folder
into the table and plots.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from tqdm import tqdm

from baselines.agents import switching
from baselines.agents.config import AgentConfig, PPOConfig, PQNConfig, require_positive
from baselines.agents.networks import as_policy
from baselines.experiments import folder_lock, interrupt, loggers
from baselines.experiments.provenance import provenance
from baselines.experiments.records import (
    SALIENCY_TIMES,
    Capacity,
    CellRecord,
    RecordLog,
    References,
    cell_suffix,
    folder_records,
    log_name,
    network_capacity,
    references,
    write_atomically,
)
from popgym_arcade_twins import diagnostics, harness, tasks
from popgym_arcade_twins.envs import GAMES

# Settings that choose cells, not what a cell computes (a cell of a capacity grid or a switched
# one has a name of its own).
GRID_FIELDS = ("env_ids", "memories", "layers", "hidden_sizes", "switch_at")

# The cpu preset's agent: PPO (not the paper's PQN) with its defaults, for 25 updates of 4,096
# env steps per seed.
DEFAULT_AGENT = PPOConfig(total_steps=102_400)


@dataclass(frozen=True)
class SweepConfig:
    """A sweep: its grid, and the settings every cell trains, evaluates and diagnoses with.
    `layers` or `hidden_sizes` make a capacity grid: every cell of the grid is run with each
    (num_layers, hidden_size) of their product, the agent's own value standing in for an empty
    one, and its name ends with its capacity ("CartPoleEasy/MDP/lru/2x64"). With `switch_at`,
    every cell first trains on the other twin, and its name ends with the switch
    ("CartPoleEasy/MDP/lru/switch-at-4096", or ".../lru/2x64/switch-at-4096" in a capacity grid;
    `records.cell_suffix`)."""

    env_ids: tuple[str, ...] = ("CartPoleEasy",)
    memories: tuple[str, ...] = ("lru",)
    seeds: tuple[int, ...] = tuple(range(8))
    baseline: str = "none"  # the memory model of the "MDP without memory" cells
    agent: AgentConfig = DEFAULT_AGENT  # each cell trains it with its own memory model
    obs_size: int = 64
    eval_episodes: int = 32
    diag_trajectories: int = 4
    diag_steps: int = 128  # longest diagnosed trajectory
    density_bins: int = 10
    ood_steps: int = 8  # steps after a perturbation over which its effect is averaged
    quick_compile: bool = False  # compile without LLVM optimisation: for runs of seconds
    layers: tuple[int, ...] = ()  # capacity grid: memory layers per cell (none: the agent's)
    hidden_sizes: tuple[int, ...] = ()  # capacity grid: their width (none: the agent's)
    switch_at: int = 0  # env steps per seed each cell first trains on the other twin (0: none)

    def __post_init__(self):
        if not (self.env_ids and self.memories and self.seeds):
            raise ValueError("a sweep needs at least one env id, memory model and seed")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {self.seeds}")
        require_positive(
            self, "obs_size", "eval_episodes", "diag_trajectories", "diag_steps", "density_bins"
        )
        for env_id in self.env_ids:
            tasks.make(env_id, False, self.obs_size)  # validates the ids and the size
        for grid in ("layers", "hidden_sizes"):
            if len(set(getattr(self, grid))) != len(getattr(self, grid)):
                raise ValueError(f"{grid} must be distinct, got {getattr(self, grid)}")
        if self.layers and not hasattr(self.agent, "num_layers"):
            raise ValueError(f"layers: a {self.agent.algorithm} agent has one memory layer")
        for capacity in self.capacities():
            for memory in (*self.memories, self.baseline):
                self.train_config(memory, capacity)  # validates the names and sizes
        switching.switch_update(self.switch_at, self.agent)

    def capacities(self) -> tuple[Capacity | None, ...]:
        """The capacity grid's (num_layers, hidden_size) pairs, or (None,) without one."""
        if not (self.layers or self.hidden_sizes):
            return (None,)
        layers, hidden_size = network_capacity(dataclasses.asdict(self.agent))
        return tuple(
            (n, h) for n in self.layers or (layers,) for h in self.hidden_sizes or (hidden_size,)
        )

    def train_config(self, memory: str, capacity: Capacity | None = None) -> AgentConfig:
        """The agent of `memory`'s cells, of `capacity` (None: the agent's own)."""
        if capacity is None:
            return self.agent.replace(memory=memory)
        shape = {"num_layers": capacity[0]} if self.layers else {}
        return self.agent.replace(memory=memory, hidden_size=capacity[1], **shape)

    def cells(self) -> list[Cell]:
        """Per game and capacity: each model on the MDP and the POMDP, then the baseline on the
        MDP (so each capacity's bias compares with the baseline of the same capacity)."""
        cells = []
        for env_id in self.env_ids:
            for capacity in self.capacities():
                for memory in dict.fromkeys((*self.memories, self.baseline)):
                    variants = harness.VARIANTS if memory in self.memories else ("MDP",)
                    cells += [
                        Cell(env_id, variant, memory, capacity, self.switch_at)
                        for variant in variants
                    ]
        return cells

    def settings(self) -> dict[str, Any]:
        """Every setting as JSON-ready data, the agent's algorithm included."""
        settings = dataclasses.asdict(self)
        settings["agent"] |= {"algorithm": self.agent.algorithm}
        return settings

    def fingerprint(self) -> str:
        """Hash of what a cell's record depends on (the grid aside), to refuse mixing sweeps."""
        settings = {k: v for k, v in self.settings().items() if k not in GRID_FIELDS}
        settings["agent"]["memory"] = None
        for field, grid in (("num_layers", self.layers), ("hidden_size", self.hidden_sizes)):
            if grid:
                settings["agent"][field] = None
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


TINY = SweepConfig(
    env_ids=("probe:one_bit",),
    memories=("lru",),
    seeds=(0, 1),
    agent=PQNConfig(
        hidden_size=16, num_envs=8, rollout_steps=8, num_minibatches=2, total_steps=3 * 8 * 8
    ),
    obs_size=32,
    eval_episodes=4,
    diag_trajectories=2,
    diag_steps=8,
    density_bins=4,
    quick_compile=True,
)
"""Probe-sized settings: a cell compiles and runs in seconds (tests)."""

PAPER_MEMORIES = (  # the POPGym Arcade paper's seven memory models
    "transformer", "linear_attention", "linear_ttt", "gated_delta", "mingru", "gru", "lru",
)  # fmt: skip
PAPER = SweepConfig(
    env_ids=tuple(f"{game.name}{level}" for game in GAMES for level in game.presets),
    memories=PAPER_MEMORIES,
    seeds=(0, 1, 2, 3, 4),
    agent=PQNConfig(num_envs=512, total_steps=610 * 512 * 32),  # 1e7 env steps per seed
    obs_size=128,
)
"""The paper's grid: every game and difficulty, its seven memory models and none, 5 seeds,
1e7 env steps per seed, 128 px: for GPUs and several hosts (`--shard`)."""

CAPACITY = SweepConfig(
    memories=("gru", "lru", "mingru"),
    seeds=tuple(range(6)),
    layers=(1, 2, 3),
    hidden_sizes=(32, 64, 128, 256),
)
"""The cpu preset's game and budget for three memory models (and none) at 1-3 layers of 32-256
units, 6 seeds: 12 capacities, 84 cells, for the gap against the bias of each (`plots`'
capacity.png)."""

TINY_CAPACITY = dataclasses.replace(TINY, layers=(1, 2), hidden_sizes=(8, 16))
"""`CAPACITY`'s grid at probe size (tests)."""


@dataclass(frozen=True)
class Cell:
    env_id: str
    variant: str  # "MDP" or "POMDP": the twin trained on last and evaluated
    memory: str
    capacity: Capacity | None = None  # in a capacity grid: (num_layers, hidden_size)
    switch_at: int = 0  # env steps first trained on the other twin

    @property
    def name(self) -> str:
        suffix = cell_suffix(self.capacity, self.switch_at)
        return f"{self.env_id}/{self.variant}/{self.memory}{suffix}"

    @property
    def file_stem(self) -> str:
        return self.name.replace("/", "__").replace(":", "-")


class CellProgram(NamedTuple):
    """One seed of a cell, in vmappable parts: `init(seed) -> state`, the training `stages`
    (each stage's `trainer.update(state) -> (state, metrics)` does its updates; a later stage
    starts from the state `switching.enter`ed), and `finish(seed, params) -> outputs` (evaluate
    and diagnose the trained parameters)."""

    init: Callable[[jax.Array], Any]
    stages: tuple[switching.Stage, ...]
    finish: Callable[[jax.Array, Any], dict[str, Any]]
    num_updates: int


def cell_program(cell: Cell, config: SweepConfig) -> CellProgram:
    """Train, evaluate and diagnose one seed of `cell` (each key as `trainer.train` would)."""
    partial_obs = cell.variant == "POMDP"
    mdp, env_params = tasks.make(cell.env_id, False, config.obs_size)
    pomdp, _ = tasks.make(cell.env_id, True, config.obs_size)
    env, twin = (pomdp, mdp) if partial_obs else (mdp, pomdp)
    train_config = config.train_config(cell.memory, cell.capacity)
    stages = switching.stages(train_config, twin, env, env_params, cell.switch_at)
    policy = as_policy(stages[0].trainer.network)  # one network module for both twins
    horizon = min(config.diag_steps, int(env_params.max_steps_in_episode))

    def init(seed: jax.Array) -> Any:
        return stages[0].trainer.init(jax.random.split(jax.random.key(seed), 3)[0])

    def finish(seed: jax.Array, params: Any) -> dict[str, Any]:
        _, key_eval, key_diag = jax.random.split(jax.random.key(seed), 3)
        returns = harness.evaluate(env, env_params, policy, params, key_eval, config.eval_episodes)
        rollout = harness.paired_rollout(
            mdp, pomdp, env_params, policy, params, key_diag, config.diag_trajectories,
            horizon, partial_obs,
        )  # fmt: skip
        seen = jnp.swapaxes(rollout.pomdp_obs if partial_obs else rollout.mdp_obs, 0, 1)
        start, lengths = rollout.start.T, harness.first_episode_lengths(rollout.done)
        gradients = jax.vmap(diagnostics.pixel_gradients, (None, None, 0, 0, 0))(
            policy, params, seen, start, lengths
        )  # once, for both the recall density and trajectory 0's saliency
        density = diagnostics.density_of(gradients, lengths, config.density_bins)
        smearing = jnp.nanmean(diagnostics.early_mass(gradients, lengths))
        saliency = diagnostics.saliency_of(gradients[0])
        ood = ood_effects(policy, params, seen, start, lengths, key_diag, config.ood_steps)
        picks = jnp.ceil(jnp.asarray(SALIENCY_TIMES) * lengths[0]).astype(jnp.int32) - 1
        return {
            "eval_return": returns,
            "recall_density": density,
            "value_smearing": smearing,
            **ood,
            "saliency": saliency[picks],
            "mdp_frames": rollout.mdp_obs[picks, 0],
            "pomdp_frames": rollout.pomdp_obs[picks, 0],
            "saliency_length": lengths[0],
        }

    return CellProgram(init, stages, finish, train_config.num_updates)


def ood_effects(policy, params, seen, start, lengths, key, num_steps: int) -> dict[str, Any]:
    """Mean over trajectories of `diagnostics.ood_summary` (relative score change, changed-action
    rate) over the `num_steps` steps that follow one noise frame in the middle of each first
    episode ("ood_noise") or a shuffle of the frames before the middle ("ood_shuffle")."""
    middle = lengths // 2
    keys = jax.random.split(jax.random.fold_in(key, 1), lengths.shape[0])
    noisy = jax.vmap(diagnostics.inject_noise)(keys, seen, middle)
    shuffled = jax.vmap(diagnostics.shuffle_prefix)(keys, seen, middle)
    scores = jax.vmap(diagnostics.scores_along, (None, None, 0, 0))
    clean = scores(policy, params, seen, start)  # once, for both perturbations
    summary = jax.vmap(diagnostics.ood_summary, (0, 0, 0, None, 0))
    effects = {}
    for name, perturbed, first in (
        ("ood_noise", noisy, middle + 1),  # the steps after the noise frame
        ("ood_shuffle", shuffled, middle),  # the steps after the shuffled prefix
    ):
        moved = scores(policy, params, perturbed, start)
        change, flips = summary(clean, moved, first, num_steps, lengths)
        effects[name] = jnp.stack([jnp.mean(change), jnp.mean(flips)])
    return effects


def seed_mesh() -> Mesh:
    """A one-axis mesh, "seed", over every device of every process."""
    return Mesh(np.asarray(jax.devices()), ("seed",))


def pad_seeds(seeds: tuple[int, ...], multiple: int) -> tuple[int, ...]:
    """`seeds` followed by unused ones up to a multiple of `multiple` (the device count): the
    seed axis is split evenly over devices; the padding's results are dropped."""
    extra = -len(seeds) % multiple
    return (*seeds, *range(max(seeds) + 1, max(seeds) + 1 + extra))


def run_cell(
    cell: Cell,
    config: SweepConfig,
    mesh: Mesh,
    chunk_updates: int = 10,
    bar: tqdm | None = None,
) -> dict[str, Any]:
    """Outputs of every seed of `cell` (leaves [seeds, ...]) as host arrays on every process.

    Training runs in jitted chunks of equal length, the largest divisor of every stage's update
    count up to `chunk_updates` (the same numbers as one scan over them all); between chunks
    `bar` advances and a noted SIGINT or SIGTERM raises `interrupt.Interrupted` (the cell is then
    left unrecorded)."""
    program = cell_program(cell, config)
    seeds = pad_seeds(config.seeds, mesh.size)
    sharding = NamedSharding(mesh, PartitionSpec("seed"))
    per_update = NamedSharding(mesh, PartitionSpec(None, "seed"))
    seeds_global = np.asarray(seeds, np.int32)
    inputs = jax.make_array_from_callback(seeds_global.shape, sharding, seeds_global.__getitem__)
    options = {"xla_backend_optimization_level": 0} if config.quick_compile else None

    def compiled(function, *args, out_shardings=sharding):
        jitted = jax.jit(function, in_shardings=sharding, out_shardings=out_shardings)
        return jitted.lower(*args).compile(options)

    def chunk(update, length: int):
        def scan(state):
            return jax.lax.scan(lambda s, _: jax.vmap(update)(s), state, None, length)

        return compiled(scan, state, out_shardings=(sharding, per_update))

    state = compiled(jax.vmap(program.init), inputs)(inputs)
    counts = [stage.stop - stage.start for stage in program.stages]
    length = max(d for d in range(1, chunk_updates + 1) if all(n % d == 0 for n in counts))
    metrics = []
    for index, stage in enumerate(program.stages):
        if index:
            state = compiled(jax.vmap(functools.partial(switching.enter, stage)), state)(state)
        train_chunk = chunk(stage.trainer.update, length)  # one length: one compile per stage
        for done in range(stage.start + length, stage.stop + 1, length):
            state, chunk_metrics = train_chunk(state)
            metrics.append(_host(chunk_metrics))
            if bar is not None:
                bar.update(length)
            if done < program.num_updates:
                _check_stop()
    outputs = _host(compiled(jax.vmap(program.finish), inputs, state.params)(inputs, state.params))
    outputs["train"] = {k: np.concatenate([m[k] for m in metrics]).T for k in metrics[0]}
    return jax.tree.map(lambda leaf: leaf[: len(config.seeds)], outputs)


def _host(outputs: Any) -> Any:
    """Global arrays as host numpy arrays on every process."""
    if jax.process_count() > 1:
        outputs = multihost_utils.process_allgather(outputs, tiled=True)
    return jax.tree.map(np.asarray, jax.device_get(outputs))


def _check_stop() -> None:
    """Raise `interrupt.Interrupted` if any process noted SIGINT or SIGTERM (the processes agree,
    so all stop at the same point)."""
    signum = interrupt.stop_requested() or 0
    if jax.process_count() > 1:
        signum = int(np.max(multihost_utils.process_allgather(np.int32(signum))))
    if signum:
        raise interrupt.Interrupted(signum, "a rerun skips the cells recorded")


def measure_references(env_id: str, variant: str, config: SweepConfig) -> References:
    """The mean returns of `harness.reference_returns` on one game and variant, at the sweep's
    frame size and over its `eval_episodes` episodes (from key 0), in one jitted call."""
    env, env_params = tasks.make(env_id, variant == "POMDP", config.obs_size)
    measure = jax.jit(
        lambda key: harness.reference_returns(env, env_params, key, config.eval_episodes)
    )
    key = jax.random.key(0)
    options = {"xla_backend_optimization_level": 0} if config.quick_compile else None
    means = {k: float(v.mean()) for k, v in measure.lower(key).compile(options)(key).items()}
    return References(means["random"], means.get("expert"))


def make_record(
    cell: Cell,
    config: SweepConfig,
    outputs: dict,
    references: References,
    wall_s: float,
    made_by: dict,
) -> CellRecord:
    """The JSON record of a finished cell: per-seed evaluation returns (J), training curves,
    recall density and its game's and variant's `references`; the saliency arrays go to
    `cells/<cell>.npz`."""
    train_config = config.train_config(cell.memory, cell.capacity)
    updates = np.arange(1, train_config.num_updates + 1)

    def listed(array):  # NaN (no episode ended in an update) -> None, valid JSON
        return tuple(None if math.isnan(x) else x for x in np.asarray(array, float).ravel())

    def rows(array):
        return tuple(tuple(row) for row in np.asarray(array).tolist())

    returns = np.asarray(outputs["eval_return"])
    return CellRecord(
        cell=cell.name,
        env_id=cell.env_id,
        variant=cell.variant,
        memory=cell.memory,
        capacity=network_capacity(dataclasses.asdict(train_config)),
        switch_at=cell.switch_at,
        fingerprint=config.fingerprint(),
        seeds=tuple(config.seeds),
        eval_return=tuple(returns.mean(1).tolist()),
        eval_return_std=tuple(returns.std(1).tolist()),
        eval_episodes=config.eval_episodes,
        train_env_steps=tuple((updates * train_config.steps_per_update).tolist()),
        train_return=tuple(listed(curve) for curve in outputs["train"]["episode_return"]),
        recall_density=rows(outputs["recall_density"]),
        value_smearing=listed(outputs["value_smearing"]),
        ood_noise=rows(outputs["ood_noise"]),
        ood_shuffle=rows(outputs["ood_shuffle"]),
        saliency_file=f"cells/{cell.file_stem}.npz",
        wall_s=round(wall_s, 2),
        settings=config.settings(),
        provenance=made_by,
        game_version=tasks.game_version(cell.env_id),
        random_return=references.random,
        expert_return=references.expert,
    )


@dataclass(frozen=True)
class Shard:
    """Process `index` of `count` independent ones: it runs cell i of the grid when
    i mod count == index, and appends its records to its own log (`records.log_name`)."""

    index: int = 0
    count: int = 1

    def __post_init__(self):
        if not 0 <= self.index < self.count:
            raise ValueError(f"a shard I/N needs 0 <= I < N, got {self.index}/{self.count}")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`"I/N"`, e.g. `"0/2"`."""
        index, _, count = text.partition("/")
        if not (index.isdigit() and count.isdigit()):
            raise ValueError(f"a shard is I/N (e.g. 0/2), got {text!r}")
        return cls(int(index), int(count))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Shard:
        """This task's shard in a SLURM job array (`SLURM_ARRAY_TASK_ID` less
        `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`), else the single shard 0/1."""
        if "SLURM_ARRAY_TASK_ID" not in environ:
            return cls()
        first = int(environ.get("SLURM_ARRAY_TASK_MIN", "0"))
        index = int(environ["SLURM_ARRAY_TASK_ID"]) - first
        return cls(index, int(environ["SLURM_ARRAY_TASK_COUNT"]))

    def cells(self, cells: list[Cell]) -> list[Cell]:
        return cells[self.index :: self.count]


def run_sweep(
    config: SweepConfig,
    out_dir: str | Path,
    progress: bool = True,
    shard: Shard = Shard(),
    chunk_updates: int = 10,
    metrics_log: str | None = None,
) -> list[CellRecord]:
    """Run every unfinished cell of `shard`'s part of `config` into `out_dir`; returns the
    records of that part. Says on stderr where it writes, what it skips and what it wrote.

    A cell recorded in any log of the folder is skipped. Within `jax.distributed`, every process
    runs every cell (the seed axis spans all their devices); process 0 alone decides which cells
    are left, and writes. A second sweep writing the same log (same folder and shard) is
    refused while the first runs. A SIGINT or SIGTERM noted by `interrupt` stops the sweep
    between chunks of updates with `interrupt.Interrupted`; recorded cells are kept.
    `metrics_log` ("tensorboard" or "wandb", see `loggers`) also logs each recorded cell there.
    """
    if metrics_log:
        loggers.check_available(metrics_log)
    out_dir = Path(out_dir)
    writes = jax.process_index() == 0
    log_path = out_dir / log_name(shard.index, shard.count)
    held = folder_lock.exclusive(log_path, log_path) if writes else contextlib.nullcontext()
    with held:
        return _run_part(config, out_dir, progress, shard, chunk_updates, metrics_log, writes)


def _run_part(config, out_dir: Path, progress, shard, chunk_updates, metrics_log, writes):
    """`run_sweep` once the log is this process's."""
    log = RecordLog(out_dir / log_name(shard.index, shard.count)) if writes else None
    done = {}
    for record in folder_records(out_dir) if writes else []:
        if record.fingerprint != config.fingerprint():
            raise ValueError(
                f"{out_dir} holds a sweep with other settings (cell {record.cell}); use "
                "another output folder, or the same settings (the grid may change)"
            )
        done[record.cell] = record
    cells = shard.cells(config.cells())
    for cell in cells:
        if cell.name in done and done[cell.name].game_version != tasks.game_version(cell.env_id):
            raise ValueError(
                f"{out_dir} holds cell {cell.name} of {cell.env_id} version "
                f"{done[cell.name].game_version}, now version {tasks.game_version(cell.env_id)}; "
                "use another output folder"
            )
    is_left = np.asarray([cell.name not in done for cell in cells])
    if jax.process_count() > 1:
        is_left = np.asarray(multihost_utils.broadcast_one_to_all(is_left))
    left = int(is_left.sum())
    say = _say if writes else lambda message: None
    say(
        f"sweep: writing to {log.path if log else out_dir}: {len(cells)} cells"
        + (f" (shard {shard.index}/{shard.count})" if shard.count > 1 else "")
        + f", {len(cells) - left} already recorded (skipped), {left} to run"
    )
    mesh, made_by = seed_mesh(), provenance()
    measured = references(list(done.values()))  # (env_id, variant) -> References
    logger = (
        writes
        and metrics_log
        and loggers.MetricLogger(metrics_log, out_dir, "sweep", config.settings())
    )
    todo = [cell for cell, cell_left in zip(cells, is_left, strict=True) if cell_left]
    for number, cell in enumerate(todo, 1):
        updates = config.train_config(cell.memory, cell.capacity).num_updates
        desc = f"cell {number}/{left} {cell.name}"
        with tqdm(
            total=updates, desc=desc, unit="update", disable=not (progress and writes)
        ) as bar:
            start = time.perf_counter()
            outputs = run_cell(cell, config, mesh, chunk_updates, bar)
        if writes:
            wall_s = time.perf_counter() - start
            game = (cell.env_id, cell.variant)
            if game not in measured:  # once per game and variant (the frame size is the sweep's)
                measured[game] = measure_references(*game, config)
            record = make_record(cell, config, outputs, measured[game], wall_s, made_by)
            (out_dir / "cells").mkdir(exist_ok=True)
            arrays = {k: outputs[k] for k in ("saliency", "mdp_frames", "pomdp_frames")}
            arrays["length"] = outputs["saliency_length"]
            write_atomically(out_dir / record.saliency_file, lambda f, a=arrays: np.savez(f, **a))
            log.append(record)
            done[cell.name] = record
            if logger:
                log_cell(logger, record)
        if number < left:
            _check_stop()
    say(f"sweep: {left} cells recorded in {log.path if log else out_dir}")
    if logger:
        logger.close()
    return [done[cell.name] for cell in cells if cell.name in done]


def log_cell(logger: loggers.MetricLogger, record: CellRecord) -> None:
    """A finished cell's training return per update and its evaluation return J, under the
    cell's name."""
    for step, *returns in zip(record.train_env_steps, *record.train_return, strict=True):
        logger.log(step, {"train_return": returns}, prefix=f"{record.cell}/")
    final = record.train_env_steps[-1]
    logger.log(final, {"eval_return": record.eval_return}, prefix=f"{record.cell}/")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
