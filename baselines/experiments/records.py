"""The sweep's results on disk: one `CellRecord` per finished cell, in append-only logs.

A record holds what a cell measured (per-seed evaluation returns J, training curves, recall
densities), the reference returns of its game and variant (`references` reads them), and names
the `.npz` file beside it with its saliency overlays, taken at the normalized times
`SALIENCY_TIMES`. A sweep's folder holds one log per process that wrote it (`records.jsonl`, or
`records-shard-I-of-N.jsonl` for shard I of N, see `log_name`); `folder_records` reads them all.
The sweep writes records, resumes from them, and `report` and `plots` read them.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

Capacity = tuple[int, int]  # a network's (num_layers, hidden_size)

SALIENCY_TIMES = (0.25, 0.5, 0.75, 1.0)  # normalized times t/n of the frames kept for overlays


@dataclass(frozen=True)
class CellRecord:
    """One finished cell (game, variant, memory model) over its seeds. Lists are per seed;
    `train_return` holds NaN-free curves, None where no episode ended in an update.
    `game_version` is the version `env_id` resolved to (`Game.version`); records written before
    games had versions read back as version 1. `capacity` is the cell's network; records written
    before it was recorded read it back from their settings' agent, and those written before
    switches or reference returns as unswitched, without references (None). `group` is what the
    report compares a record within."""

    cell: str  # "<env_id>/<variant>/<memory>", then `cell_suffix`: "/2x64", "/switch-at-64"
    env_id: str
    variant: str  # "MDP" or "POMDP": the twin evaluated (and trained on last, if switched)
    memory: str
    fingerprint: str  # of the sweep's settings (`SweepConfig.fingerprint`)
    seeds: tuple[int, ...]
    eval_return: tuple[float, ...]  # J per seed: mean greedy evaluation return
    eval_return_std: tuple[float, ...]  # its spread over the evaluation episodes
    eval_episodes: int
    train_env_steps: tuple[int, ...]  # env steps per seed after each update
    train_return: tuple[tuple[float | None, ...], ...]  # [seeds][updates]
    recall_density: tuple[tuple[float, ...], ...]  # [seeds][bins] over normalized time
    saliency_file: str  # relative to the sweep's folder
    wall_s: float
    settings: dict[str, Any]  # the sweep's settings (`SweepConfig.settings`)
    provenance: dict[str, Any]  # the code, packages and devices that made it (`provenance`)
    capacity: Capacity  # (num_layers, hidden_size) of its network (`network_capacity`)
    game_version: int = 1
    # Per seed, nan where the diagnosed policy's gradient vanished: recall mass below
    # t/n = 0.66 (`diagnostics.early_mass`), and (relative score change, changed-action rate)
    # after one noise frame and after a shuffled prefix (`sweep.ood_effects`).
    value_smearing: tuple[float | None, ...] = ()
    ood_noise: tuple[tuple[float, float], ...] = ()
    ood_shuffle: tuple[tuple[float, float], ...] = ()
    # Env steps per seed trained on the other twin before `variant` (0: none; `SweepConfig`).
    switch_at: int = 0
    # Mean return over `eval_episodes` episodes of the random policy and of the game's scripted
    # expert (None: the game has none) on `env_id` and `variant` (`harness.reference_returns`).
    random_return: float | None = None
    expert_return: float | None = None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, line: str) -> CellRecord:
        fields = json.loads(line)
        if "capacity" not in fields:  # a record from before capacities were recorded
            fields["capacity"] = network_capacity(fields["settings"]["agent"])
        return cls(**{k: _tuples(v) for k, v in fields.items()})

    @property
    def group(self) -> Group:
        """The cells this one is compared with: those of the same capacity and switch."""
        return Group(self.capacity, self.switch_at)


class Group(NamedTuple):
    """What the report keeps apart: cells of one group share rows, estimates and aggregates
    (a bias against the baseline of the same group) only with each other."""

    capacity: Capacity  # (num_layers, hidden_size)
    switch_at: int  # env steps first trained on the other twin (0: none)


def cell_suffix(capacity: Capacity | None, switch_at: int) -> str:
    """What follows the memory model in the names of cells and of report rows: "/2x64" for a
    capacity of 2 layers of 64 units (None: not named), then "/switch-at-<switch_at>" if the
    cells switched twins; "" for neither."""
    named = f"/{capacity[0]}x{capacity[1]}" if capacity else ""
    return named + (f"/switch-at-{switch_at}" if switch_at else "")


def network_capacity(agent: dict[str, Any]) -> Capacity:
    """(num_layers, hidden_size) of an agent's settings (`dataclasses.asdict` of its config); an
    agent without `num_layers` (stream_q) has one memory layer."""
    return agent.get("num_layers", 1), agent["hidden_size"]


class References(NamedTuple):
    """The reference returns of one game and variant (None: not measured)."""

    random: float | None
    expert: float | None


def references(records: Sequence[CellRecord]) -> dict[tuple[str, str], References]:
    """(env_id, variant) -> its reference returns, from the first record of it that has them."""
    found: dict[tuple[str, str], References] = {}
    for r in records:
        if r.random_return is not None:
            found.setdefault((r.env_id, r.variant), References(r.random_return, r.expert_return))
    return found


def _tuples(value):
    """JSON lists -> tuples, nested, so a record read back equals the one written."""
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


class RecordLog:
    """`records.jsonl`: one JSON line per record, appended with a single write, flushed and
    fsynced. A line cut short by a kill has no newline: it is dropped on opening, so a reader
    sees each record whole or not at all."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            text = self.path.read_bytes()
            if text and not text.endswith(b"\n"):
                with self.path.open("r+b") as f:
                    f.truncate(text.rfind(b"\n") + 1)

    def records(self) -> list[CellRecord]:
        return read_records(self.path)

    def append(self, record: CellRecord) -> None:
        with self.path.open("a") as f:
            f.write(record.to_json() + "\n")
            f.flush()
            os.fsync(f.fileno())


def read_records(path: Path) -> list[CellRecord]:
    """The whole records of a log, without changing it (another process may be writing it: a
    last line without its newline is not read)."""
    if not path.exists():
        return []
    lines = path.read_text().split("\n")[:-1]
    return [CellRecord.from_json(line) for line in lines if line]


def log_name(shard: int = 0, count: int = 1) -> str:
    """The log of shard `shard` of `count` (`records.jsonl` for a single process)."""
    return "records.jsonl" if count == 1 else f"records-shard-{shard}-of-{count}.jsonl"


def folder_records(folder: str | Path) -> list[CellRecord]:
    """Every record of every log in `folder` (by file name), the first of a cell where two
    logs hold it."""
    records: dict[str, CellRecord] = {}
    for path in sorted(Path(folder).glob("records*.jsonl")):
        for record in read_records(path):
            records.setdefault(record.cell, record)
    return list(records.values())


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """`write(file)` into a temporary file beside `path` (named for this process, so processes
    writing the same file never share one), then rename it over `path`."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
