"""The sweep's results: the gap/bias table (CSV and Markdown) and its figures (`plots`).

Signs follow `popgym_arcade_twins.harness`. Records are compared within their group
(`CellRecord.group`: network capacity and switch): cells of different groups never share a row,
an estimate or an aggregate, and a model's bias compares it with the baseline of its own group
(of the same capacity, switched alike). A row's memory names its group as a cell's name does
(`group_names`): its capacity where the records hold several ("lru/2x64": 2 layers of 64
units), its switch where it switched twins ("lru/switch-at-4096"). Each game's version
(`CellRecord.game_version`) goes into the CSV's `game_version` column and a line under the
Markdown table ("Game versions: CartPoleEasy v1"); records of one id with two versions are
refused, never averaged. The reference returns of each game (`records.references`) go into the
table's `random` and `expert` columns (on the MDP / the POMDP). Every file is written
atomically, so processes finishing shards of one sweep at once never mix their reports.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from baselines.experiments.records import (
    CellRecord,
    Group,
    References,
    cell_suffix,
    folder_records,
    references,
    write_atomically,
)
from popgym_arcade_twins.aggregate import Aggregate, aggregate
from popgym_arcade_twins.diagnostics import SMEARING_CUTOFF
from popgym_arcade_twins.harness import (
    VARIANTS,
    Estimate,
    GapBias,
    bootstrap_difference,
    gap_and_bias,
)

COLUMNS = ("J(f, MDP)", "J(f, POMDP)", "gap", "bias")
REFERENCES = References._fields  # the reference policies, as named in the tables


Row = TypeVar("Row", GapBias, Aggregate)


def _per_group(
    records: Sequence[CellRecord], summarize: Callable[[dict], list[Row]]
) -> dict[Group, list[Row]]:
    """`summarize` of the per-seed returns, keyed (env_id, memory, variant), of each group
    (`CellRecord.group`), in the order first seen."""
    returns: dict[Group, dict] = {}
    for r in records:
        returns.setdefault(r.group, {})[(r.env_id, r.memory, r.variant)] = r.eval_return
    return {group: summarize(cells) for group, cells in returns.items()}


def group_names(groups: Iterable[Group]) -> dict[Group, str]:
    """What follows a memory model in the rows of each group (`records.cell_suffix`): its
    capacity where the groups hold several, its switch where it switched; "" for neither."""
    groups = list(groups)
    several = len({g.capacity for g in groups}) > 1
    return {g: cell_suffix(g.capacity if several else None, g.switch_at) for g in groups}


def _labelled(rows: Mapping[Group, list[Row]]) -> list[Row]:
    """The rows of every group, their memory naming it (`group_names`)."""
    names = group_names(rows)
    return [
        dataclasses.replace(row, memory=row.memory + names[group])
        for group, group_rows in rows.items()
        for row in group_rows
    ]


def memory_names(records: Sequence[CellRecord]) -> list[str]:
    """Each record's memory, naming its group as the rows do (`group_names`)."""
    names = group_names(r.group for r in records)
    return [r.memory + names[r.group] for r in records]


def group_tables(
    records: Sequence[CellRecord], baseline: str = "none"
) -> dict[Group, list[GapBias]]:
    """The gap/bias rows (`harness.gap_and_bias`) of each group's records."""
    game_versions(records)  # refuses mixed versions
    return _per_group(records, lambda returns: gap_and_bias(returns, baseline=baseline))


def table(records: Sequence[CellRecord], baseline: str = "none") -> list[GapBias]:
    """The gap/bias rows of a sweep's records (per-seed evaluation returns), per group."""
    return _labelled(group_tables(records, baseline))


def group_aggregates(
    records: Sequence[CellRecord], baseline: str = "none"
) -> dict[Group, list[Aggregate]]:
    """`aggregate.aggregate` over games of each group's records."""
    return _per_group(records, lambda returns: aggregate(returns, baseline=baseline))


def aggregates(records: Sequence[CellRecord], baseline: str = "none") -> list[Aggregate]:
    """Per memory model (and group) and statistic, J, gap and bias over games."""
    return _labelled(group_aggregates(records, baseline))


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


def _references(
    found: Mapping[tuple[str, str], References], env_id: str, name: str
) -> list[float | None]:
    """Reference `name`'s return on each variant of `env_id` (None where not measured)."""
    return [getattr(found.get((env_id, variant)), name, None) for variant in VARIANTS]


def write_csv(
    rows: Sequence[GapBias],
    path: Path,
    versions: Mapping[str, int] | None = None,
    found: Mapping[tuple[str, str], References] | None = None,
) -> None:
    """One line per row, with the reference returns `found` (`records.references`; empty where
    missing); the last column, `game_version`, is 1 for ids missing from `versions`."""
    versions, found = versions or {}, found or {}
    text = io.StringIO()
    writer = csv.writer(text)
    names = ("J_mdp", "J_pomdp", "gap", "bias")
    writer.writerow(
        ["env_id", "memory", "seeds_mdp", "seeds_pomdp"]
        + [f"{n}{suffix}" for n in names for suffix in ("", "_low", "_high")]
        + [f"{name}_{variant.lower()}" for name in REFERENCES for variant in VARIANTS]
        + ["game_version"]
    )
    for row in rows:
        numbers = [x for e in _fields(row) for x in (e.value, e.low, e.high)]
        refs = [x for name in REFERENCES for x in _references(found, row.env_id, name)]
        writer.writerow(
            [row.env_id, row.memory, *row.seeds, *numbers, *refs, versions.get(row.env_id, 1)]
        )
    write_atomically(Path(path), lambda f: f.write(text.getvalue().encode()))


def _cell(estimate: Estimate) -> str:
    if np.isnan(estimate.value):
        return ""
    return f"{estimate.value:+.2f} [{estimate.low:+.2f}, {estimate.high:+.2f}]"


def markdown(
    rows: Sequence[GapBias],
    confidence: float = 0.95,
    versions: Mapping[str, int] | None = None,
    found: Mapping[tuple[str, str], References] | None = None,
) -> str:
    """A Markdown table: estimate [low, high] per column; empty where a cell is missing; then
    the reference returns `found` (`records.references`) on the MDP / the POMDP. With
    `versions` (env id -> game version), a line under the note lists each game's version."""
    versions, found = versions or {}, found or {}

    def reference(env_id: str, name: str) -> str:
        values = _references(found, env_id, name)
        if all(value is None for value in values):
            return ""
        return " / ".join("n/a" if value is None else f"{value:+.2f}" for value in values)

    headers = (*COLUMNS, *(f"{name} (MDP / POMDP)" for name in REFERENCES))
    lines = [
        f"| game | memory f | {' | '.join(headers)} | seeds |",
        "|---|---|" + "---|" * (len(headers) + 1),
    ]
    for row in rows:
        fields = [_cell(e) for e in _fields(row)]
        fields += [reference(row.env_id, name) for name in REFERENCES]
        lines.append(f"| {row.env_id} | {row.memory} | {' | '.join(fields)} | {max(row.seeds)} |")
    note = (
        f"Mean evaluation return J and {confidence:.0%} bootstrap intervals over seeds; "
        "gap = J(f, MDP) - J(f, POMDP), bias = J(f, MDP) - J(none, MDP). Random, expert: the "
        "mean return of uniformly random actions and of the game's scripted expert (it reads "
        "the state) over as many evaluation episodes."
    )
    games = list(dict.fromkeys(row.env_id for row in rows if row.env_id in versions))
    if games:
        note += "\n\nGame versions: " + ", ".join(f"{g} v{versions[g]}" for g in games) + "."
    return "\n".join(lines) + "\n\n" + note + "\n"


def aggregate_markdown(records: Sequence[CellRecord], baseline: str = "none") -> str:
    """Per memory model (and group), the IQM and mean over games of J, gap and bias
    (`aggregates`)."""
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


def _group_note(records: Sequence[CellRecord]) -> str:
    """A line under the table explaining the group names its rows carry (`group_names`)."""
    names = [
        ("'lru/2x64': lru with 2 layers of 64 units", len({r.capacity for r in records}) > 1),
        (
            "'lru/switch-at-S': trained on the other twin for its first S env steps per seed, "
            "then on the variant evaluated, its gap and bias among cells switched alike",
            any(r.switch_at for r in records),
        ),
    ]
    shown = [text for text, present in names if present]
    return f"\nMemory f {'; '.join(shown)}.\n" if shown else ""


def write_report(
    records: Sequence[CellRecord], out_dir: str | Path, baseline: str = "none"
) -> None:
    """`table.csv`, `table.md` and the figures (see `plots`) into `out_dir`."""
    from baselines.experiments import plots  # matplotlib is imported only here

    out_dir = Path(out_dir)
    rows, versions, found = table(records, baseline), game_versions(records), references(records)
    write_csv(rows, out_dir / "table.csv", versions, found)
    sections = (
        markdown(rows, versions=versions, found=found) + _group_note(records),
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
