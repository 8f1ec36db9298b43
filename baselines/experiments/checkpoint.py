"""Saving and loading a run: its config as JSON, its parameters as flax msgpack, and the whole
runner state (to resume training) as `.npz`. Every file is written atomically (a temporary file
renamed over it), so a kill leaves the previous version or the new one, never a mix."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import serialization

from baselines.agents.config import AgentConfig
from baselines.agents.registry import config_type
from baselines.experiments.provenance import provenance
from baselines.experiments.records import write_atomically
from popgym_arcade_twins import tasks

CONFIG, PARAMS, STATE = "config.json", "params.msgpack", "state.npz"


def settings(config: AgentConfig, **meta: Any) -> dict[str, Any]:
    """What defines a run: the algorithm, its config and `meta` (env id, seeds...). With an
    `env_id` in `meta`, also `game_version`, the version that id resolves to now (unless `meta`
    gives one)."""
    if "env_id" in meta and "game_version" not in meta:
        meta["game_version"] = tasks.game_version(meta["env_id"])
    return {"algorithm": config.algorithm, "config": dataclasses.asdict(config), **meta}


def write_config(run_dir: str | Path, config: AgentConfig, **meta: Any) -> None:
    """`config.json`: the run's `settings` and the code's `provenance`."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    record = settings(config, **meta) | {"provenance": provenance()}
    text = json.dumps(record, indent=2)
    write_atomically(run_dir / CONFIG, lambda f: f.write(text.encode()))


def save(run_dir: str | Path, config: AgentConfig, params: Any, **meta: Any) -> None:
    """Write `config.json` (see `write_config`) and `params.msgpack`."""
    write_config(run_dir, config, **meta)
    data = serialization.to_bytes(params)
    write_atomically(Path(run_dir) / PARAMS, lambda f: f.write(data))


def load(run_dir: str | Path) -> tuple[dict, AgentConfig, Any]:
    """(record, config, params) of a saved run; params are a plain nested dict of arrays.

    A record of a run on a game holds its `game_version` (1 for runs saved before versions)."""
    run_dir = Path(run_dir)
    record = json.loads((run_dir / CONFIG).read_text())
    if "env_id" in record:
        record.setdefault("game_version", 1)
    config = config_type(record["algorithm"])(**record["config"])
    params = serialization.msgpack_restore((run_dir / PARAMS).read_bytes())
    return record, config, params


def save_state(run_dir: str | Path, state: Any, updates: int) -> None:
    """`state.npz`: every leaf of the runner state `state` (PRNG keys as their raw data) and the
    number of updates it has done."""
    leaves = {f"leaf_{i}": _raw(leaf) for i, leaf in enumerate(jax.tree.leaves(state))}
    buffer = io.BytesIO()
    np.savez(buffer, updates=np.int64(updates), **leaves)
    write_atomically(Path(run_dir) / STATE, lambda f: f.write(buffer.getvalue()))


def load_state(run_dir: str | Path, template: Any) -> tuple[Any, int]:
    """(state, updates) from `state.npz`, shaped like `template` (a state or its
    `jax.eval_shape`); a ValueError if the saved leaves do not match it."""
    leaves, treedef = jax.tree.flatten(template)
    with np.load(Path(run_dir) / STATE) as saved:
        if len(saved.files) != len(leaves) + 1:
            raise ValueError(f"{run_dir}/{STATE} does not hold a state of this run")
        restored = []
        for i, leaf in enumerate(leaves):
            array = saved[f"leaf_{i}"]
            if array.shape != _raw(leaf).shape or array.dtype != _raw(leaf).dtype:
                raise ValueError(f"{run_dir}/{STATE} does not hold a state of this run")
            is_key = jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)
            restored.append(jax.random.wrap_key_data(array) if is_key else jax.numpy.asarray(array))
        return jax.tree.unflatten(treedef, restored), int(saved["updates"])


def saved_updates(run_dir: str | Path) -> int | None:
    """Updates done by the state in `state.npz`, or None if there is none."""
    path = Path(run_dir) / STATE
    if not path.exists():
        return None
    with np.load(path) as saved:
        return int(saved["updates"])


def _raw(leaf: Any) -> Any:
    """A leaf as saved: PRNG keys as their uint32 data (`jax.ShapeDtypeStruct`s stay abstract)."""
    if not jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
        return leaf if isinstance(leaf, jax.ShapeDtypeStruct) else np.asarray(leaf)
    if isinstance(leaf, jax.ShapeDtypeStruct):
        return jax.eval_shape(jax.random.key_data, leaf)
    return np.asarray(jax.random.key_data(leaf))
