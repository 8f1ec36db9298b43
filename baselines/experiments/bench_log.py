"""Resumable benchmark logs: each finished measurement is appended to a JSONL file at once, so an
interrupted benchmark loses nothing; a rerun skips what the log holds, and a run whose settings
differ from the log's is refused instead of mixing its records with the first run's."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from baselines.experiments.folder_lock import exclusive


class Refused(ValueError):
    """A log that holds other settings or configs, or that another process is writing."""


def plain(value: Any) -> Any:
    """`value` as JSON reads it back (tuples become lists), so logged and new settings compare."""
    return json.loads(json.dumps(value))


def first_difference(old: Mapping, new: Mapping) -> str:
    """'name: old -> new' for the first key whose values differ (None where one lacks it)."""
    for name in sorted(set(old) | set(new), key=str):
        if old.get(name) != new.get(name):
            return f"{name}: {old.get(name)} -> {new.get(name)}"
    return "none"


def field_defaults(config_type: type) -> dict[str, Any]:
    """The default of every field of the dataclass `config_type` that has one."""
    return {
        field.name: field.default
        for field in dataclasses.fields(config_type)
        if field.default is not dataclasses.MISSING
    }


def as_logged(config: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dataclass config as `BenchLog.done` takes it: its fields, and their defaults."""
    return dataclasses.asdict(config), field_defaults(type(config))


class BenchLog:
    """The records of one JSONL log, all made with `settings` (what every record of the run
    shares: seeds, frame size, ...). Each record also keeps the `config` it was measured with,
    and `done` reuses a record only under the same config."""

    def __init__(self, path: str | Path, settings: Mapping[str, Any]):
        self.path = Path(path)
        self.settings = plain(dict(settings))
        lines = self.path.read_text().splitlines() if self.path.exists() else []
        self.records = [json.loads(line) for line in lines if line.strip()]
        for record in self.records:
            if record.get("settings") != self.settings:
                raise Refused(
                    f"{self.path} holds records made with other settings "
                    f"({first_difference(record.get('settings') or {}, self.settings)}); "
                    "pass another output path, or delete that file to start over"
                )

    def done(
        self, key: Mapping[str, Any], config: Mapping[str, Any],
        defaults: Mapping[str, Any] | None = None,
    ) -> dict | None:  # fmt: skip
        """The logged record whose fields equal `key`, if any; `Refused` if it was measured
        with another `config` (the defaults changed since, say). A field of `config` that the
        logged config lacks (one added since) is taken at its value in `defaults`: a new field's
        default keeps what ran before it existed."""
        key, config, defaults = plain(dict(key)), plain(dict(config)), plain(dict(defaults or {}))
        for record in self.records:
            if all(record.get(name) == value for name, value in key.items()):
                measured = record.get("config") or {}
                added = {n: defaults[n] for n in config if n not in measured and n in defaults}
                measured = {**measured, **added}
                if measured != config:
                    raise Refused(
                        f"{self.path} holds {key} measured with another config "
                        f"({first_difference(measured, config)}); "
                        "pass another output path, or delete that file to start over"
                    )
                return record
        return None

    def append(self, record: Mapping[str, Any], config: Mapping[str, Any]) -> dict:
        """Log `record` (with its `config` and the log's settings) and return it as logged."""
        logged = plain({**record, "config": dict(config), "settings": self.settings})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps(logged) + "\n")
        self.records.append(logged)
        return logged


@contextlib.contextmanager
def open_log(path: str | Path, settings: Mapping[str, Any]) -> Iterator[BenchLog]:
    """The `BenchLog` at `path`, held by this process alone while the block runs; `Refused`
    if another process holds it or it was made with other settings."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(exclusive(path, str(path)))
        except ValueError as error:
            raise Refused(str(error)) from None
        yield BenchLog(path, settings)
