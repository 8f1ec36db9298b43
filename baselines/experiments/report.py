"""The sweep's results: the gap/bias table (CSV and Markdown) and its figures (`plots`).

Signs follow `popgym_arcade_twins.harness`. Cells of different network capacities
(`CellRecord.capacity`) never share a row, and a model's bias compares it with the baseline of
its own capacity; where the records hold several capacities, a row's memory names its capacity
("lru 2x64": 2 layers of 64 units). Each game's version
(`CellRecord.game_version`) goes into the CSV's `game_version` column and a line under the
Markdown table ("Game versions: CartPoleEasy v1"); records of one id with two versions are
refused, never averaged. Every file is written atomically, so processes finishing shards of
one sweep at once never mix their reports.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from baselines.experiments.records import Capacity, CellRecord, folder_records, write_atomically
from popgym_arcade_twins.aggregate import Aggregate, aggregate
from popgym_arcade_twins.diagnostics import SMEARING_CUTOFF
from popgym_arcade_twins.harness import Estimate, GapBias, bootstrap_difference, gap_and_bias

COLUMNS = ("J(f, MDP)", "J(f, POMDP)", "gap", "bias")

Row = TypeVar("Row", GapBias, Aggregate)


def _per_capacity(
    records: Sequence[CellRecord], summarize: Callable[[dict], list[Row]]
) -> dict[Capacity, list[Row]]:
    """`summarize` of the per-seed returns, keyed (env_id, memory, variant), of each capacity."""
    returns: dict[Capacity, dict] = {}
    for r in records:
        returns.setdefault(r.capacity, {})[(r.env_id, r.memory, r.variant)] = r.eval_return
    return {capacity: summarize(group) for capacity, group in returns.items()}


def capacity_label(capacity: Capacity) -> str:
    """The label "2x64" of 2 memory layers of 64 units."""
    return f"{capacity[0]}x{capacity[1]}"


def _labelled(rows: Mapping[Capacity, list[Row]]) -> list[Row]:
    """The rows of every capacity, their memory naming it ("lru 2x64") where there are several."""
    if len(rows) <= 1:
        return next(iter(rows.values()), [])
    return [
        dataclasses.replace(row, memory=f"{row.memory} {capacity_label(capacity)}")
        for capacity, group in rows.items()
        for row in group
    ]


def memory_names(records: Sequence[CellRecord]) -> list[str]:
    """Each record's memory, naming its capacity ("lru 2x64") where the records hold several."""
    several = len({r.capacity for r in records}) > 1
    return [f"{r.memory} {capacity_label(r.capacity)}" if several else r.memory for r in records]


def capacity_tables(
    records: Sequence[CellRecord], baseline: str = "none"
) -> dict[Capacity, list[GapBias]]:
    """The gap/bias rows (`harness.gap_and_bias`) of each capacity's records."""
    game_versions(records)  # refuses mixed versions
    return _per_capacity(records, lambda returns: gap_and_bias(returns, baseline=baseline))


def table(records: Sequence[CellRecord], baseline: str = "none") -> list[GapBias]:
    """The gap/bias rows of a sweep's records (per-seed evaluation returns), per capacity."""
    return _labelled(capacity_tables(records, baseline))


def capacity_aggregates(
    records: Sequence[CellRecord], baseline: str = "none"
) -> dict[Capacity, list[Aggregate]]:
    """`aggregate.aggregate` over games of each capacity's records."""
    return _per_capacity(records, lambda returns: aggregate(returns, baseline=baseline))


def aggregates(records: Sequence[CellRecord], baseline: str = "none") -> list[Aggregate]:
    """Per memory model (and capacity) and statistic, J, gap and bias over games."""
    return _labelled(capacity_aggregates(records, baseline))


def pareto_frontier(gaps: Sequence[float], biases: Sequence[float]) -> list[bool]:
    """Which (gap, bias) points are on the Pareto frontier: no other point is at least as good
    in both, a |gap| as small and a bias as large, and better in one. A smaller |gap| is better
    (hiding the state costs less return) and so is a larger bias (memory hurts the MDP less).
    Points with a NaN are never on it; equal points are on it together."""
    points = np.stack([np.abs(np.asarray(gaps, float)), -np.asarray(biases, float)], axis=1)
    valid = ~np.isnan(points).any(axis=1)

    def dominated(p):
        others = points[valid]
        return bool(np.any(np.all(others <= p, axis=1) & np.any(others < p, axis=1)))

    return [bool(ok) and not dominated(p) for p, ok in zip(points, valid, strict=True)]


def game_versions(records: Sequence[CellRecord]) -> dict[str, int]:
    """env id -> the game version of its records; a ValueError if one id has several."""
    versions: dict[str, set[int]] = {}
    for r in records:
        versions.setdefault(r.env_id, set()).add(r.game_version)
    mixed = {env_id: sorted(v) for env_id, v in versions.items() if len(v) > 1}
    if mixed:
        raise ValueError(f"records mix game versions, which cannot share a row: {mixed}")
    return {env_id: v.pop() for env_id, v in versions.items()}


def _fields(row: GapBias):
    return row.mdp, row.pomdp, row.gap, row.bias


def write_csv(
    rows: Sequence[GapBias], path: Path, versions: Mapping[str, int] | None = None
) -> None:
    """One line per row; the last column, `game_version`, is 1 for ids missing from `versions`."""
    versions = versions or {}
    text = io.StringIO()
    writer = csv.writer(text)
    names = ("J_mdp", "J_pomdp", "gap", "bias")
    writer.writerow(
        ["env_id", "memory", "seeds_mdp", "seeds_pomdp"]
        + [f"{n}{suffix}" for n in names for suffix in ("", "_low", "_high")]
        + ["game_version"]
    )
    for row in rows:
        numbers = [x for e in _fields(row) for x in (e.value, e.low, e.high)]
        writer.writerow([row.env_id, row.memory, *row.seeds, *numbers, versions.get(row.env_id, 1)])
    write_atomically(Path(path), lambda f: f.write(text.getvalue().encode()))


def _cell(estimate: Estimate) -> str:
    if np.isnan(estimate.value):
        return ""
    return f"{estimate.value:+.2f} [{estimate.low:+.2f}, {estimate.high:+.2f}]"


def markdown(
    rows: Sequence[GapBias],
    confidence: float = 0.95,
    versions: Mapping[str, int] | None = None,
) -> str:
    """A Markdown table: estimate [low, high] per column; empty where a cell is missing. With
    `versions` (env id -> game version), a line under the note lists each game's version."""
    versions = versions or {}

    lines = [
        f"| game | memory f | {' | '.join(COLUMNS)} | seeds |",
        "|---|---|" + "---|" * (len(COLUMNS) + 1),
    ]
    for row in rows:
        fields = " | ".join(_cell(e) for e in _fields(row))
        lines.append(f"| {row.env_id} | {row.memory} | {fields} | {max(row.seeds)} |")
    note = (
        f"Mean evaluation return J and {confidence:.0%} bootstrap intervals over seeds; "
        "gap = J(f, MDP) - J(f, POMDP), bias = J(f, MDP) - J(none, MDP)."
    )
    games = list(dict.fromkeys(row.env_id for row in rows if row.env_id in versions))
    if games:
        note += "\n\nGame versions: " + ", ".join(f"{g} v{versions[g]}" for g in games) + "."
    return "\n".join(lines) + "\n\n" + note + "\n"


def aggregate_markdown(records: Sequence[CellRecord], baseline: str = "none") -> str:
    """Per memory model, the IQM and mean over games of J, gap and bias (`aggregates`)."""
    lines = [
        "| memory f | over games | " + " | ".join(COLUMNS) + " | games |",
        "|---|---|" + "---|" * (len(COLUMNS) + 1),
    ]
    for row in aggregates(records, baseline):
        fields = " | ".join(_cell(e) for e in (row.mdp, row.pomdp, row.gap, row.bias))
        lines.append(f"| {row.memory} | {row.statistic} | {fields} | {len(row.games[0])} |")
    note = (
        "IQM: interquartile mean over games of each game's statistic; intervals: stratified "
        "bootstrap (seeds resampled within each game)."
    )
    return "\n".join(lines) + "\n\n" + note + "\n"


DIAGNOSTICS = (  # column name, what it reads from a record (per seed)
    ("value smearing", lambda r: r.value_smearing),
    ("noise: score change", lambda r: [x[0] for x in r.ood_noise]),
    ("noise: action flips", lambda r: [x[1] for x in r.ood_noise]),
    ("shuffle: score change", lambda r: [x[0] for x in r.ood_shuffle]),
    ("shuffle: action flips", lambda r: [x[1] for x in r.ood_shuffle]),
)


def diagnostics(records: Sequence[CellRecord], confidence: float = 0.95) -> list[dict]:
    """Per record, each of `DIAGNOSTICS` (name -> `Estimate`): its mean over the seeds where it
    is defined, with a bootstrap interval."""
    rng = np.random.default_rng(0)
    return [
        {
            name: bootstrap_difference(
                [x for x in read(r) if x is not None and not np.isnan(x)],
                rng=rng,
                confidence=confidence,
            )
            for name, read in DIAGNOSTICS
        }
        for r in records
    ]


def diagnostics_markdown(records: Sequence[CellRecord], confidence: float = 0.95) -> str:
    """Per cell, the memory diagnostics' means over seeds with bootstrap intervals."""
    names = [name for name, _ in DIAGNOSTICS]
    lines = [
        "| game | memory f | variant | " + " | ".join(names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    estimates = diagnostics(records, confidence)
    for r, memory, cell in zip(records, memory_names(records), estimates, strict=True):
        fields = " | ".join(_cell(e) for e in cell.values())
        lines.append(f"| {r.env_id} | {memory} | {r.variant} | {fields} |")
    note = (
        "Value smearing: the share of the last step's recall (gradient of its greedy score) on "
        f"frames at t/n < {SMEARING_CUTOFF}; a policy that needs only the current frame, as an "
        "optimal one on an MDP does, gives 0. Noise / shuffle: one noise frame in the middle of "
        "an episode, or its frames before the middle shuffled; then, over the following steps, "
        "the mean relative change of the scores and the share of greedy actions that change."
    )
    return "\n".join(lines) + "\n\n" + note + "\n"


def write_report(
    records: Sequence[CellRecord], out_dir: str | Path, baseline: str = "none"
) -> None:
    """`table.csv`, `table.md` and the figures (see `plots`) into `out_dir`."""
    from baselines.experiments import plots  # matplotlib is imported only here

    out_dir = Path(out_dir)
    rows, versions = table(records, baseline), game_versions(records)
    several = len({r.capacity for r in records}) > 1
    write_csv(rows, out_dir / "table.csv", versions)
    sections = (
        markdown(rows, versions=versions)
        + ("\nMemory f 'lru 2x64': lru with 2 layers of 64 units.\n" if several else ""),
        "## Across games\n\n" + aggregate_markdown(records, baseline),
        "## Memory diagnostics\n\n" + diagnostics_markdown(records),
    )
    text = "\n".join(sections).encode()
    write_atomically(out_dir / "table.md", lambda f: f.write(text))
    plots.write_figures(records, out_dir, baseline)


def write_folder_report(out_dir: str | Path, baseline: str = "none") -> list[CellRecord]:
    """`write_report` of every record in every log of `out_dir` (all shards, and cells of
    earlier, larger grids: a smaller grid's rerun never drops their rows); returns them."""
    records = folder_records(out_dir)
    write_report(records, out_dir, baseline)
    return records
