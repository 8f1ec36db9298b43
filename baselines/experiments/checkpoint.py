"""Saving and loading a run: its config as JSON and its parameters as flax msgpack."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from flax import serialization

from baselines.agents.config import AgentConfig
from baselines.agents.registry import config_type
from baselines.experiments.provenance import provenance
from popgym_arcade_twins import tasks


def save(run_dir: str | Path, config: AgentConfig, params: Any, **meta: Any) -> None:
    """Write `config.json` (algorithm, config, `meta` such as the env id, and the code's
    provenance) and `params.msgpack`.

    With an `env_id` in `meta`, the record also holds `game_version`, the version that id
    resolves to now (unless `meta` gives one); `load` reads records without it as version 1.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if "env_id" in meta and "game_version" not in meta:
        meta["game_version"] = tasks.game_version(meta["env_id"])
    record = {"algorithm": config.algorithm, "config": dataclasses.asdict(config), **meta}
    record["provenance"] = provenance()
    (run_dir / "config.json").write_text(json.dumps(record, indent=2))
    (run_dir / "params.msgpack").write_bytes(serialization.to_bytes(params))


def load(run_dir: str | Path) -> tuple[dict, AgentConfig, Any]:
    """(record, config, params) of a saved run; params are a plain nested dict of arrays.

    A record of a run on a game holds its `game_version` (1 for runs saved before versions)."""
    run_dir = Path(run_dir)
    record = json.loads((run_dir / "config.json").read_text())
    if "env_id" in record:
        record.setdefault("game_version", 1)
    config = config_type(record["algorithm"])(**record["config"])
    params = serialization.msgpack_restore((run_dir / "params.msgpack").read_bytes())
    return record, config, params
