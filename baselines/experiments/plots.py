"""The sweep's figures, as PNG, from its records (their numbers through `report`).

`returns.png` (J per model on each variant, the random policy's and the scripted expert's
returns drawn as lines: `records.references`) and `gap_bias.png` (observability gap and memory
bias per model), per game with bootstrap intervals over seeds; `aggregate.png` (the IQM and mean
over games of J, gap and bias per model, stratified bootstrap intervals: `report.aggregates`);
`ood.png` (score change and action flips after a noise frame or a shuffled prefix, per cell:
`report.diagnostics`); `recall_density.png` (where in its past each model looks);
`saliency.png` (saliency overlays on one POMDP trajectory per model, each frame scaled to its
own maximum); `training.png` (training returns, smoothed over the raw ones); and, where the
records hold several network capacities, `capacity.png` (gap against bias per model and
capacity, the Pareto frontier marked: `report.pareto_frontier`). The numbers are those of
`table.md`: the same functions, seeded alike.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter

from baselines.experiments import report
from baselines.experiments.records import (
    SALIENCY_TIMES,
    CellRecord,
    Group,
    References,
    cell_suffix,
    references,
    write_atomically,
)
from popgym_arcade_twins.aggregate import Aggregate
from popgym_arcade_twins.diagnostics import SMEARING_CUTOFF
from popgym_arcade_twins.harness import Estimate, GapBias

MARKERS = "os^Dvp"  # per number of memory layers in capacity.png
DASHES = ((4.0, 4.0), (1.0, 3.0))  # the random policy's line dashed, the expert's dotted


def write_figures(records: Sequence[CellRecord], out_dir: Path, baseline: str = "none") -> None:
    """Every figure of the module docstring into `out_dir`. Where the records hold several
    groups (`CellRecord.group`: capacities or switches), each figure but the saliency and
    capacity ones has a row of panels per group, titled by its name (`report.group_names`)."""
    env_ids = list(dict.fromkeys(r.env_id for r in records))
    tables = report.group_tables(records, baseline)
    variants = {"MDP": "mdp", "POMDP": "pomdp"}
    figures = {
        "returns.png": _per_game(tables, env_ids, variants, "J", references(records)),
        "gap_bias.png": _per_game(tables, env_ids, {"gap": "gap", "bias": "bias"}, "J difference"),
        "aggregate.png": _aggregate(report.group_aggregates(records, baseline)),
        "ood.png": _ood(records, env_ids),
        "recall_density.png": _recall_density(records, env_ids),
        "saliency.png": _saliency(records, out_dir),
        "training.png": _training(records, env_ids),
    }
    if len({group.capacity for group in tables}) > 1:
        figures["capacity.png"] = _capacity(records, env_ids, baseline)
    for name, figure in figures.items():
        write_atomically(
            out_dir / name,
            lambda f, fig=figure: fig.savefig(f, format="png", dpi=110, bbox_inches="tight"),
        )
        plt.close(figure)


def _panels(rows: int, columns: int, width: float = 4.0, height: float = 3.0):
    """A figure of `rows` x `columns` panels of `width` x `height` inches, and its axes."""
    return plt.subplots(
        rows, columns, figsize=(width * columns, height * rows), squeeze=False,
        layout="constrained",
    )  # fmt: skip


def _titled(text: str, name: str) -> str:
    """`text`, then a group's `name` ("/2x64/switch-at-64", `report.group_names`) if any."""
    return f"{text}, {name.removeprefix('/')}" if name else text


def _panel_cells(
    records: Sequence[CellRecord], env_ids: list[str]
) -> dict[tuple[str, str], list[int]]:
    """(group name, env id) -> the indices of its records: a row of panels per group
    (`report.group_names`), in the order of the records, and a column per game."""
    names = report.group_names(r.group for r in records)
    return {
        (name, e): [i for i, r in enumerate(records) if (r.group, r.env_id) == (g, e)]
        for g, name in names.items()
        for e in env_ids
    }


def _bar_width(groups: int, bars: int) -> float:
    """Inches for a panel of `groups` groups of `bars` bars, so that labels keep their room."""
    return max(3.5, 1.2 + groups * (0.25 + 0.2 * bars))


def _interval_bars(
    ax, labels: Sequence[str], series: Mapping[str, Sequence[Estimate]], ylabel: str
) -> None:
    """Grouped bars, a group per label and a bar per series, each with its [low, high]
    interval as an error bar (a NaN estimate draws nothing). Long labels are slanted."""
    width = 0.8 / len(series)
    for i, (name, estimates) in enumerate(series.items()):
        values = np.array([e.value for e in estimates], float)
        bounds = np.array([[e.low, e.high] for e in estimates], float).reshape(-1, 2).T
        x = np.arange(len(labels)) + (i - (len(series) - 1) / 2) * width
        bars = {"capsize": 3, "label": name, "color": f"C{i}"}  # `_per_game`'s lines match
        ax.bar(x, values, width, yerr=np.abs(bounds - values), **bars)
    longest = max((len(line) for label in labels for line in label.split("\n")), default=0)
    slanted = {"rotation": 30, "ha": "right"} if longest > 9 else {}
    ax.set_xticks(range(len(labels)), labels, fontsize=8, **slanted)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel(ylabel)


def _legend_above(figure, axes, title: str | None = None) -> None:
    """One legend of the bars' series above the panels (they all show the same series)."""
    drawn = (ax.get_legend_handles_labels() for ax in axes.flat)
    handles, labels = next(((h, n) for h, n in drawn if h), ([], []))
    figure.legend(
        handles, labels, loc="outside upper center", ncol=max(1, len(labels)), fontsize=8,
        frameon=False, title=title, title_fontsize=9,
    )  # fmt: skip


def _defined(rows: Sequence, fields: Sequence[str]) -> list:
    """The rows with at least one of `fields` not NaN."""
    return [row for row in rows if not all(np.isnan(getattr(row, f).value) for f in fields)]


def _per_game(
    tables: Mapping[Group, Sequence[GapBias]],
    env_ids: list[str],
    series: dict[str, str],
    ylabel: str,
    found: Mapping[tuple[str, str], References] | None = None,
):
    """Per game (and group), interval bars of the `series` (label -> field of `GapBias`) per
    memory model, over seeds; with `found` (series named by variant, `records.references`),
    each variant's reference returns as lines in the colour of its bars: random dashed, expert
    dotted."""
    names = report.group_names(tables)
    shown = {
        (names[g], e): _defined([r for r in rows if r.env_id == e], list(series.values()))
        for g, rows in tables.items()
        for e in env_ids
    }
    widest = max(map(len, shown.values()), default=1)
    figure, axes = _panels(len(tables), len(env_ids), _bar_width(widest, len(series)))
    for ax, ((name, env_id), rows) in zip(axes.ravel(), shown.items(), strict=True):
        if not rows:
            ax.set_axis_off()
            continue
        estimates = {label: [getattr(r, f) for r in rows] for label, f in series.items()}
        _interval_bars(ax, [r.memory for r in rows], estimates, ylabel)
        for i, label in enumerate(series):
            refs = (found or {}).get((env_id, label), References(None, None))
            for policy, value, dashes in zip(References._fields, refs, DASHES, strict=True):
                if value is not None:  # offset per variant: equal lines alternate colours
                    style = (i * sum(dashes) / len(series), dashes)
                    line = {"color": f"C{i}", "linestyle": style, "linewidth": 1.2}
                    ax.axhline(value, label=f"{policy} ({label})", **line)
        ax.set_title(_titled(env_id, name), fontsize=10)
    _legend_above(figure, axes, "95% bootstrap intervals over seeds")
    return figure


def _aggregate(summaries: Mapping[Group, Sequence[Aggregate]]):
    """Per entry (J on each variant, gap, bias) and group, the IQM and mean over games of each
    memory model, with stratified bootstrap intervals."""
    names = report.group_names(summaries)
    entries = dict(zip(("mdp", "pomdp", "gap", "bias"), report.COLUMNS, strict=True))
    widest = max((len(rows) // 2 for rows in summaries.values()), default=1)
    figure, axes = _panels(len(summaries), len(entries), _bar_width(widest, 2))
    for row_axes, (group, rows) in zip(axes, summaries.items(), strict=True):
        for i, (ax, (field, column)) in enumerate(zip(row_axes, entries.items(), strict=True)):
            shown = _defined(rows, [field])
            series = {
                name: [getattr(r, field) for r in shown if r.statistic == statistic]
                for name, statistic in (("IQM", "iqm"), ("mean", "mean"))
            }
            games = max((len(r.games[i]) for r in shown), default=0)
            labels = list(dict.fromkeys(r.memory for r in shown))
            _interval_bars(ax, labels, series, "J" if i < 2 else "J difference")
            title = f"{column} over {games} game{'s' * (games != 1)}"
            ax.set_title(_titled(title, names[group]), fontsize=10)
    _legend_above(figure, axes, "Across games: 95% stratified bootstrap intervals")
    return figure


def _ood(records: Sequence[CellRecord], env_ids: list[str]):
    """Per game (and group), the score change and action flips after one noise frame or a
    shuffled prefix, per cell (memory model and variant), with bootstrap intervals over seeds
    (`report.diagnostics`, of all the records: the numbers of `table.md`)."""
    estimates = report.diagnostics(records)
    panels = _panel_cells(records, env_ids)
    measures = {"score change": "relative score change", "action flips": "share of actions changed"}
    widest = max(map(len, panels.values()))
    figure, axes = _panels(
        len(panels) // len(env_ids), len(env_ids) * len(measures), _bar_width(widest, 2)
    )
    grid = [(key, cells, m) for key, cells in panels.items() for m in measures]
    for ax, ((name, env_id), cells, measure) in zip(axes.ravel(), grid, strict=True):
        if not cells:
            ax.set_axis_off()
            continue
        labels = [f"{records[i].memory}\n{records[i].variant}" for i in cells]
        series = {p: [estimates[i][f"{p}: {measure}"] for i in cells] for p in ("noise", "shuffle")}
        _interval_bars(ax, labels, series, measures[measure])
        ax.set_title(_titled(f"{env_id}: {measure}", name), fontsize=10)
    _legend_above(figure, axes, "95% bootstrap intervals over seeds")
    return figure


def _recall_density(records: Sequence[CellRecord], env_ids: list[str]):
    panels = _panel_cells(records, env_ids)
    figure, axes = _panels(len(panels) // len(env_ids), len(env_ids))
    for ax, ((name, env_id), cells) in zip(axes.ravel(), panels.items(), strict=True):
        if not cells:
            ax.set_axis_off()
            continue
        for r in (records[i] for i in cells):
            if r.variant == "POMDP":
                density = np.nanmean(np.asarray(r.recall_density, float), axis=0)
                edges = np.linspace(0, 1, len(density) + 1)
                ax.stairs(density, edges, label=r.memory)
        ax.axhline(1, color="grey", linewidth=0.6, linestyle=":", label="uniform over the past")
        ax.axvline(SMEARING_CUTOFF, color="black", linewidth=0.8, linestyle="--")
        ax.text(
            SMEARING_CUTOFF, 0.97, f" t/n = {SMEARING_CUTOFF}", va="top", fontsize=7,
            transform=ax.get_xaxis_transform(),  # x in data, y in axes fractions
        )  # fmt: skip
        ax.annotate(  # a Markov-optimal policy recalls only the last frame
            "MDP-optimal: all at 1", (1, 0), xytext=(0.25, 0.55), textcoords="axes fraction",
            fontsize=7, arrowprops={"arrowstyle": "->", "linewidth": 0.6},
        )  # fmt: skip
        ax.set_title(_titled(f"{env_id} (POMDP)", name))
        ax.set_xlabel("normalized time t / n of the frame")
        ax.set_ylabel("recall density")
        ax.legend(fontsize=8)
    return figure


def _saliency(records: Sequence[CellRecord], out_dir: Path):
    """One row per POMDP cell (seed 0): the frames it saw at t/n = 1/4 .. 1 with the saliency of
    its last-step greedy score overlaid, each frame's divided by its own maximum (in the title:
    the saliency of the last step's score falls by orders of magnitude into the past), then
    the MDP twin's last frame (what it had to remember)."""
    shown = [i for i, r in enumerate(records) if r.variant == "POMDP"] or range(len(records))
    names = report.memory_names(records)
    columns = len(SALIENCY_TIMES) + 1
    figure, axes = plt.subplots(
        len(shown), columns, figsize=(2 * columns, 2.2 * len(shown)), squeeze=False
    )
    figure.subplots_adjust(wspace=0.05, hspace=0.25)
    for row, i in zip(axes, shown, strict=True):
        r = records[i]
        arrays = np.load(out_dir / r.saliency_file)
        frames = arrays["pomdp_frames" if r.variant == "POMDP" else "mdp_frames"][0]
        for ax, frame, heat, t in zip(
            row, frames, arrays["saliency"][0], SALIENCY_TIMES, strict=False
        ):
            peak = float(heat.max())
            ax.imshow(frame)
            overlay = ax.imshow(
                heat / peak if peak > 0 else heat, cmap="inferno", alpha=0.6, vmin=0, vmax=1
            )
            ax.set_title(f"t/n = {t:g}, max {peak:.0e}", fontsize=7)
        row[-1].imshow(arrays["mdp_frames"][0][-1])
        row[-1].set_title("MDP twin, t/n = 1", fontsize=7)
        row[0].set_ylabel(f"{r.env_id}\n{names[i]}", fontsize=8)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    bar = figure.colorbar(overlay, cax=axes[0, -1].inset_axes((1.06, 0.0, 0.07, 1.0)))
    bar.set_label("saliency / its frame's max", fontsize=7)
    bar.ax.tick_params(labelsize=7)
    return figure


def smoothed(values: np.ndarray, window: int) -> np.ndarray:
    """The centred moving mean of `values` over `window` points, NaNs skipped (NaN where a
    window holds none)."""
    finite = ~np.isnan(values)
    kernel = np.ones(window)
    sums = np.convolve(np.where(finite, values, 0.0), kernel, "same")
    counts = np.convolve(finite.astype(float), kernel, "same")
    return np.divide(sums, counts, out=np.full_like(sums, np.nan), where=counts > 0)


def _training(records: Sequence[CellRecord], env_ids: list[str]):
    """Per game (and group), each cell's training return (mean over seeds) per update,
    faint, and its moving mean over a 25th of training."""
    panels = _panel_cells(records, env_ids)
    figure, axes = _panels(len(panels) // len(env_ids), len(env_ids), 5.0)
    for ax, ((name, env_id), cells) in zip(axes.ravel(), panels.items(), strict=True):
        if not cells:
            ax.set_axis_off()
            continue
        for r in (records[i] for i in cells):
            curves = np.array(r.train_return, dtype=float)  # None -> nan
            with warnings.catch_warnings():  # updates where no seed ended an episode
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(curves, 0)
            (raw,) = ax.plot(r.train_env_steps, mean, linewidth=0.6, alpha=0.25)
            smooth = smoothed(mean, max(1, len(mean) // 25))
            label = f"{r.variant} {r.memory}"
            ax.plot(r.train_env_steps, smooth, color=raw.get_color(), label=label)
        ax.set_title(_titled(env_id, name))
        ax.set_xlabel("env steps per seed")
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        ax.set_ylabel("training return (mean over seeds)")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return figure


def _capacity(records: Sequence[CellRecord], env_ids: list[str], baseline: str):
    """Per game (and, with several games, their IQM), the gap against the bias of every memory
    model at every capacity, with 95% bootstrap intervals: colour for the model, marker for the
    layers, size for the units. The Pareto frontier (`report.pareto_frontier`: the points that
    no other beats on both a |gap| as small and a bias as large, one of them strictly) is ringed
    and joined in order of bias. Switched cells are never compared with unswitched ones: a row
    of panels per switch, each with its own frontier."""
    tables = report.group_tables(records, baseline)
    iqm = report.group_aggregates(records, baseline) if len(env_ids) > 1 else {}
    switches = list(dict.fromkeys(g.switch_at for g in tables))
    panels: dict[tuple[int, str], dict] = {}  # (switch, title) -> capacity -> its points
    for switch_at in switches:
        for env_id in env_ids:
            panels[switch_at, env_id] = {
                g.capacity: [r for r in rows if r.env_id == env_id]
                for g, rows in tables.items()
                if g.switch_at == switch_at
            }
        if iqm:
            panels[switch_at, "IQM over games"] = {
                g.capacity: [a for a in rows if a.statistic == "iqm"]
                for g, rows in iqm.items()
                if g.switch_at == switch_at
            }
    capacities = sorted({g.capacity for g in tables})
    marker = {
        n: MARKERS[i % len(MARKERS)] for i, n in enumerate(sorted({n for n, _ in capacities}))
    }
    size = {h: 4 + 2.5 * i for i, h in enumerate(sorted({h for _, h in capacities}))}
    memories = list(dict.fromkeys(r.memory for r in records if r.memory != baseline))
    colour = {m: f"C{i}" for i, m in enumerate(memories)}
    figure, axes = _panels(len(switches), len(panels) // len(switches), 4.6, 3.8)
    for ax, ((switch_at, title), rows) in zip(axes.ravel(), panels.items(), strict=True):
        points = [
            (c, row) for c in capacities for row in rows.get(c, [])
            if not (np.isnan(row.gap.value) or np.isnan(row.bias.value))
        ]  # fmt: skip
        bias, gap = (
            np.array([[e.value, e.low, e.high] for e in es], float).reshape(-1, 3)
            for es in ([r.bias for _, r in points], [r.gap for _, r in points])
        )
        for ((n, h), row), b, g in zip(points, bias, gap, strict=True):
            ax.errorbar(
                b[0], g[0], xerr=[[b[0] - b[1]], [b[2] - b[0]]],
                yerr=[[g[0] - g[1]], [g[2] - g[0]]],
                fmt="none", ecolor=colour[row.memory], elinewidth=0.6, alpha=0.35,
            )  # fmt: skip
            ax.plot(b[0], g[0], marker[n], markersize=size[h], color=colour[row.memory])
        front = np.asarray(report.pareto_frontier(gap[:, 0], bias[:, 0]), bool)
        order = np.argsort(bias[front, 0])
        ax.plot(bias[front, 0][order], gap[front, 0][order], "--", color="black", linewidth=0.8)
        ax.scatter(bias[front, 0], gap[front, 0], s=260, facecolors="none", edgecolors="black")
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.axvline(0, color="grey", linewidth=0.6)
        ax.set_title(_titled(title, cell_suffix(None, switch_at)), fontsize=10)
        ax.set_xlabel(f"bias = J(f, MDP) - J({baseline}, MDP)  (larger: better)")
        ax.set_ylabel("gap = J(f, MDP) - J(f, POMDP)  (nearer 0: better)")
    handles = (
        [Line2D([], [], color=colour[m], marker="o", linestyle="none", label=m) for m in memories]
        + [Line2D([], [], color="grey", marker=m, linestyle="none",
                  label=f"{n} layer{'s' * (n != 1)}") for n, m in marker.items()]
        + [Line2D([], [], color="grey", marker="o", markersize=s, linestyle="none",
                  label=f"{h} units") for h, s in size.items()]
        + [Line2D([], [], color="black", marker="o", markersize=14, fillstyle="none",
                  linestyle="--", linewidth=0.8, label="Pareto frontier")]
    )  # fmt: skip
    axes[0, -1].legend(
        handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False
    )
    caption = (
        "Each point: one memory model at one capacity (layers x units), 95% bootstrap intervals. "
        "Pareto frontier: the points that no other beats on both a |gap| as small and a bias as "
        "large (one of them strictly). A small gap: hiding the state costs little return; a "
        "large bias: memory does not hurt learning the MDP."
    )
    wrapped = textwrap.fill(caption, int(figure.get_figwidth() * 18))
    figure.text(0.0, -0.02, wrapped, fontsize=7, ha="left", va="top")
    return figure
