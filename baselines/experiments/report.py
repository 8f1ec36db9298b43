"""The sweep's results: the gap/bias table (CSV and Markdown) and its figures.

Figures (matplotlib, written as PNG): `returns.png` (J per model on each variant, with the random
policy's and the scripted expert's returns as reference lines),
`gap_bias.png` (observability gap and memory bias per model), each with bootstrap confidence
intervals over seeds; `recall_density.png` (where in its past each model looks);
`saliency.png` (saliency overlays on one POMDP trajectory per model); `training.png` (training
returns). Signs follow `popgym_arcade_twins.harness`. Each game's version
(`CellRecord.game_version`) goes into the CSV's `game_version` column and a line under the
Markdown table ("Game versions: CartPoleEasy v1"); records of one id with two versions are
refused, never averaged. The reference returns of each game (`records.references`) go into the
table's `random` and `expert` columns. Cells that switched twins (`CellRecord.switch_at`) have rows
of their own, named by `records.memory_label` (e.g. "lru/switch-at-4096"), whose gap and bias
compare switched cells only (the bias with the baseline switched alike). Every file is written
atomically, so processes finishing shards of one sweep at once never mix their reports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from baselines.experiments.records import (
    CellRecord,
    References,
    folder_records,
    memory_label,
    references,
    write_atomically,
)
from popgym_arcade_twins.aggregate import aggregate
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


def switch_groups(
    records: Sequence[CellRecord], baseline: str
) -> list[tuple[dict[tuple[str, str, str], tuple[float, ...]], str]]:
    """Per switch step, in the order first seen: the per-seed returns of its cells, keyed
    (env_id, memory label, variant), and the label of its baseline. Groups never mix."""
    groups = []
    for switch_at in dict.fromkeys(r.switch_at for r in records):
        returns = {
            (r.env_id, memory_label(r.memory, switch_at), r.variant): r.eval_return
            for r in records
            if r.switch_at == switch_at
        }
        groups.append((returns, memory_label(baseline, switch_at)))
    return groups


def table(records: Sequence[CellRecord], baseline: str = "none") -> list[GapBias]:
    """The gap/bias rows of a sweep's records (per-seed evaluation returns), unswitched and
    switched cells apart (`switch_groups`)."""
    game_versions(records)  # refuses mixed versions
    return [
        row
        for returns, group_baseline in switch_groups(records, baseline)
        for row in gap_and_bias(returns, baseline=group_baseline)
    ]


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
    """Per memory model, the IQM and mean over games of J, gap and bias (`aggregate`), switched
    and unswitched cells apart (`switch_groups`)."""
    lines = [
        "| memory f | over games | " + " | ".join(COLUMNS) + " | games |",
        "|---|---|" + "---|" * (len(COLUMNS) + 1),
    ]
    for returns, group_baseline in switch_groups(records, baseline):
        for row in aggregate(returns, baseline=group_baseline):
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


def diagnostics_markdown(records: Sequence[CellRecord], confidence: float = 0.95) -> str:
    """Per cell, the memory diagnostics' means over seeds with bootstrap intervals."""
    rng = np.random.default_rng(0)
    names = [name for name, _ in DIAGNOSTICS]
    lines = [
        "| game | memory f | variant | " + " | ".join(names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    for r in records:
        estimates = []
        for _, read in DIAGNOSTICS:
            values = [x for x in read(r) if x is not None and not np.isnan(x)]
            estimates.append(bootstrap_difference(values, rng=rng, confidence=confidence))
        fields = " | ".join(_cell(e) for e in estimates)
        memory = memory_label(r.memory, r.switch_at)
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
    """`table.csv`, `table.md` and the figures (see the module docstring) into `out_dir`."""
    from baselines.experiments import plots  # matplotlib is imported only here

    out_dir = Path(out_dir)
    rows, versions, found = table(records, baseline), game_versions(records), references(records)
    write_csv(rows, out_dir / "table.csv", versions, found)
    sections = (
        markdown(rows, versions=versions, found=found),
        "## Across games\n\n" + aggregate_markdown(records, baseline),
        "## Memory diagnostics\n\n" + diagnostics_markdown(records),
    )
    text = "\n".join(sections).encode()
    write_atomically(out_dir / "table.md", lambda f: f.write(text))
    plots.write_figures(records, rows, out_dir)


def write_folder_report(out_dir: str | Path, baseline: str = "none") -> list[CellRecord]:
    """`write_report` of every record in every log of `out_dir` (all shards, and cells of
    earlier, larger grids: a smaller grid's rerun never drops their rows); returns them."""
    records = folder_records(out_dir)
    write_report(records, out_dir, baseline)
    return records
