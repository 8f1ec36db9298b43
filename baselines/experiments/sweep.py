"""The baseline sweep: games x {MDP, POMDP, MDP without memory} x memory models x seeds.

Each cell (one game, variant and memory model) is one jitted program over its seeds: train, then
evaluate the final greedy policy for `eval_episodes` episodes (J is an evaluation return, not a
training one), then diagnose it on a paired rollout (recall density; saliency on one
trajectory). The seed axis is vmapped and sharded over every device JAX sees, across hosts too
when `jax.distributed` is initialized. Finished cells are appended to `records.jsonl` one line
each, atomically, so a rerun skips them; `report` turns the records into the table and plots.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from tqdm import tqdm

from baselines.agents.config import AgentConfig, PQNConfig, require_positive
from baselines.agents.networks import as_policy
from baselines.agents.registry import make_trainer
from baselines.experiments.records import SALIENCY_TIMES, CellRecord, RecordLog, write_atomically
from popgym_arcade_twins import diagnostics, harness, tasks

GRID_FIELDS = ("env_ids", "memories")  # settings that choose cells, not what a cell computes

DEFAULT_AGENT = PQNConfig(
    hidden_size=64, num_envs=16, rollout_steps=32, num_minibatches=2, total_steps=100_000
)  # total_steps: env steps per seed


@dataclass(frozen=True)
class SweepConfig:
    """A sweep: its grid, and the settings every cell trains, evaluates and diagnoses with."""

    env_ids: tuple[str, ...] = ("CartPoleEasy", "CountRecallEasy")
    memories: tuple[str, ...] = ("gru", "lru")
    seeds: tuple[int, ...] = (0, 1)
    baseline: str = "none"  # the memory model of the "MDP without memory" cells
    agent: AgentConfig = DEFAULT_AGENT  # each cell trains it with its own memory model
    obs_size: int = 64
    eval_episodes: int = 32
    diag_trajectories: int = 4
    diag_steps: int = 128  # longest diagnosed trajectory
    density_bins: int = 10
    quick_compile: bool = False  # compile without LLVM optimisation: for runs of seconds

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
        for memory in (*self.memories, self.baseline):
            self.train_config(memory)  # validates the names and sizes

    def train_config(self, memory: str) -> AgentConfig:
        return self.agent.replace(memory=memory)

    def cells(self) -> list[Cell]:
        """Per game: each model on the MDP and the POMDP, then the baseline on the MDP."""
        cells = []
        for env_id in self.env_ids:
            for memory in dict.fromkeys((*self.memories, self.baseline)):
                variants = harness.VARIANTS if memory in self.memories else ("MDP",)
                cells += [Cell(env_id, variant, memory) for variant in variants]
        return cells

    def fingerprint(self) -> str:
        """Hash of what a cell's record depends on (the grid aside), to refuse mixing sweeps."""
        settings = {k: v for k, v in dataclasses.asdict(self).items() if k not in GRID_FIELDS}
        settings["agent"] |= {"algorithm": self.agent.algorithm, "memory": None}
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


TINY = SweepConfig(
    env_ids=("probe:one_bit",),
    memories=("lru",),
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


@dataclass(frozen=True)
class Cell:
    env_id: str
    variant: str  # "MDP" or "POMDP"
    memory: str

    @property
    def name(self) -> str:
        return f"{self.env_id}/{self.variant}/{self.memory}"

    @property
    def file_stem(self) -> str:
        return self.name.replace("/", "__").replace(":", "-")


def cell_program(cell: Cell, config: SweepConfig):
    """`run(seed int32) -> outputs`: train, evaluate and diagnose one seed of `cell` (vmap it)."""
    partial_obs = cell.variant == "POMDP"
    mdp, env_params = tasks.make(cell.env_id, False, config.obs_size)
    pomdp, _ = tasks.make(cell.env_id, True, config.obs_size)
    env = pomdp if partial_obs else mdp
    trainer = make_trainer(config.train_config(cell.memory), env, env_params)
    policy = as_policy(trainer.network)
    horizon = min(config.diag_steps, int(env_params.max_steps_in_episode))

    def run(seed: jax.Array) -> dict[str, Any]:
        key_train, key_eval, key_diag = jax.random.split(jax.random.key(seed), 3)
        state, metrics = trainer.train(key_train)
        params = state.params
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
        saliency = diagnostics.saliency_of(gradients[0])
        picks = jnp.ceil(jnp.asarray(SALIENCY_TIMES) * lengths[0]).astype(jnp.int32) - 1
        return {
            "train": metrics,
            "eval_return": returns,
            "recall_density": density,
            "saliency": saliency[picks],
            "mdp_frames": rollout.mdp_obs[picks, 0],
            "pomdp_frames": rollout.pomdp_obs[picks, 0],
            "saliency_length": lengths[0],
        }

    return run


def seed_mesh() -> Mesh:
    """A one-axis mesh, "seed", over every device of every process."""
    return Mesh(np.asarray(jax.devices()), ("seed",))


def pad_seeds(seeds: tuple[int, ...], multiple: int) -> tuple[int, ...]:
    """`seeds` followed by unused ones up to a multiple of `multiple` (the device count): the
    seed axis is split evenly over devices; the padding's results are dropped."""
    extra = -len(seeds) % multiple
    return (*seeds, *range(max(seeds) + 1, max(seeds) + 1 + extra))


def run_cell(cell: Cell, config: SweepConfig, mesh: Mesh) -> dict[str, np.ndarray]:
    """Outputs of every seed of `cell` (leaves [seeds, ...]) as host arrays on every process."""
    seeds = pad_seeds(config.seeds, mesh.size)
    sharding = NamedSharding(mesh, PartitionSpec("seed"))
    seeds_global = np.asarray(seeds, np.int32)
    inputs = jax.make_array_from_callback(seeds_global.shape, sharding, seeds_global.__getitem__)
    program = jax.jit(
        jax.vmap(cell_program(cell, config)), in_shardings=sharding, out_shardings=sharding
    )
    options = {"xla_backend_optimization_level": 0} if config.quick_compile else None
    outputs = program.lower(inputs).compile(options)(inputs)
    if jax.process_count() > 1:
        outputs = multihost_utils.process_allgather(outputs, tiled=True)
    outputs = jax.tree.map(np.asarray, jax.device_get(outputs))
    return jax.tree.map(lambda leaf: leaf[: len(config.seeds)], outputs)


def make_record(cell: Cell, config: SweepConfig, outputs: dict, wall_s: float) -> CellRecord:
    """The JSON record of a finished cell: per-seed evaluation returns (J), training curves and
    recall density; the saliency arrays go to `cells/<cell>.npz`."""
    train_config = config.train_config(cell.memory)
    updates = np.arange(1, train_config.num_updates + 1)

    def listed(array):  # NaN (no episode ended in an update) -> None, valid JSON
        return tuple(None if math.isnan(x) else x for x in np.asarray(array, float).ravel())

    def rows(array):
        return tuple(tuple(row) for row in np.asarray(array).tolist())

    returns = np.asarray(outputs["eval_return"])
    return CellRecord(
        cell=cell.name,
        **dataclasses.asdict(cell),
        fingerprint=config.fingerprint(),
        seeds=tuple(config.seeds),
        eval_return=tuple(returns.mean(1).tolist()),
        eval_return_std=tuple(returns.std(1).tolist()),
        eval_episodes=config.eval_episodes,
        train_env_steps=tuple((updates * train_config.steps_per_update).tolist()),
        train_return=tuple(listed(curve) for curve in outputs["train"]["episode_return"]),
        recall_density=rows(outputs["recall_density"]),
        saliency_file=f"cells/{cell.file_stem}.npz",
        wall_s=round(wall_s, 2),
    )


def run_sweep(config: SweepConfig, out_dir: str | Path, progress: bool = True) -> list[CellRecord]:
    """Run every unfinished cell of `config` into `out_dir`; returns this sweep's records.

    Every process runs every cell (the seed axis spans all their devices); process 0 alone
    decides which cells are left, and writes.
    """
    out_dir = Path(out_dir)
    writes = jax.process_index() == 0
    log = RecordLog(out_dir / "records.jsonl") if writes else None
    done = {}
    for record in log.records() if log else []:
        if record.fingerprint != config.fingerprint():
            raise ValueError(
                f"{out_dir} holds a sweep with other settings (cell {record.cell}); use "
                "another output folder, or the same settings (the grid may change)"
            )
        done[record.cell] = record
    cells = config.cells()
    is_left = np.asarray([cell.name not in done for cell in cells])
    if jax.process_count() > 1:
        is_left = np.asarray(multihost_utils.broadcast_one_to_all(is_left))
    mesh = seed_mesh()
    bar = tqdm(cells, desc="cells", unit="cell", disable=not (progress and writes))
    for cell, left in zip(cells, is_left, strict=True):
        bar.set_postfix_str(cell.name)
        if left:
            start = time.perf_counter()
            outputs = run_cell(cell, config, mesh)
            if writes:
                record = make_record(cell, config, outputs, time.perf_counter() - start)
                (out_dir / "cells").mkdir(exist_ok=True)
                arrays = {k: outputs[k] for k in ("saliency", "mdp_frames", "pomdp_frames")}
                arrays["length"] = outputs["saliency_length"]
                write_atomically(
                    out_dir / record.saliency_file, lambda f, a=arrays: np.savez(f, **a)
                )
                log.append(record)
                done[cell.name] = record
        bar.update()
    bar.close()
    return [done[cell.name] for cell in cells if cell.name in done]
