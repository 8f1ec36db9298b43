"""The sweep's figures, from its records and gap/bias rows (see `report`)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from baselines.experiments.records import (
    SALIENCY_TIMES,
    CellRecord,
    References,
    references,
    write_atomically,
)
from popgym_arcade_twins.diagnostics import SMEARING_CUTOFF
from popgym_arcade_twins.harness import Estimate, GapBias


def write_figures(records: Sequence[CellRecord], rows: Sequence[GapBias], out_dir: Path) -> None:
    env_ids = list(dict.fromkeys(r.env_id for r in records))
    figures = {
        "returns.png": _bars(
            rows, env_ids, {"MDP": "mdp", "POMDP": "pomdp"}, "J (evaluation)", references(records)
        ),
        "gap_bias.png": _bars(rows, env_ids, {"gap": "gap", "bias": "bias"}, "J difference"),
        "recall_density.png": _recall_density(records, env_ids),
        "saliency.png": _saliency(records, out_dir),
        "training.png": _training(records, env_ids),
    }
    for name, figure in figures.items():
        write_atomically(
            out_dir / name,
            lambda f, fig=figure: fig.savefig(f, format="png", dpi=110, bbox_inches="tight"),
        )
        plt.close(figure)


def _panels(count: int, width: float = 4.0, height: float = 3.0):
    figure, axes = plt.subplots(1, count, figsize=(width * count, height), squeeze=False)
    return figure, axes[0]


def _bars(
    rows: Sequence[GapBias],
    env_ids: list[str],
    series: dict[str, str],
    ylabel: str,
    found: Mapping[tuple[str, str], References] | None = None,
):
    """Grouped bars per memory model, one panel per game, with confidence intervals; with
    `found` (series named by variant), each variant's reference returns as lines in its colour:
    random dashed, expert dotted."""
    figure, axes = _panels(len(env_ids))
    for ax, env_id in zip(axes, env_ids, strict=True):
        game_rows = [
            row
            for row in rows
            if row.env_id == env_id
            and not all(np.isnan(getattr(row, f).value) for f in series.values())
        ]
        width = 0.8 / len(series)
        for i, (label, field) in enumerate(series.items()):
            estimates: list[Estimate] = [getattr(row, field) for row in game_rows]
            values = np.array([e.value for e in estimates])
            errors = np.abs(np.array([[e.low, e.high] for e in estimates]).T - values)
            x = np.arange(len(game_rows)) + (i - (len(series) - 1) / 2) * width
            ax.bar(x, values, width, yerr=errors, capsize=3, label=label, color=f"C{i}")
            refs = (found or {}).get((env_id, label), References(None, None))
            for name, value, style in zip(References._fields, refs, ("--", ":"), strict=True):
                if value is not None:
                    ax.axhline(value, color=f"C{i}", linestyle=style, label=f"{name} ({label})")
        ax.set_xticks(range(len(game_rows)), [row.memory for row in game_rows])
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_title(env_id)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
    return figure


def _recall_density(records: Sequence[CellRecord], env_ids: list[str]):
    figure, axes = _panels(len(env_ids))
    for ax, env_id in zip(axes, env_ids, strict=True):
        for r in records:
            if r.env_id == env_id and r.variant == "POMDP":
                density = np.nanmean(np.asarray(r.recall_density, float), axis=0)
                edges = np.linspace(0, 1, len(density) + 1)
                ax.stairs(density, edges, label=r.memory)
        ax.axhline(1, color="grey", linewidth=0.6, linestyle=":", label="uniform over the past")
        ax.axvline(SMEARING_CUTOFF, color="black", linewidth=0.8, linestyle="--")
        ax.text(
            SMEARING_CUTOFF, ax.get_ylim()[1], f" t/n = {SMEARING_CUTOFF}", va="top", fontsize=7
        )
        ax.annotate(  # a Markov-optimal policy recalls only the last frame
            "MDP-optimal: all at 1", (1, 0), xytext=(0.25, 0.55), textcoords="axes fraction",
            fontsize=7, arrowprops={"arrowstyle": "->", "linewidth": 0.6},
        )  # fmt: skip
        ax.set_title(f"{env_id} (POMDP)")
        ax.set_xlabel("normalized time t / n of the frame")
        ax.set_ylabel("recall density")
        ax.legend(fontsize=8)
    return figure


def _saliency(records: Sequence[CellRecord], out_dir: Path):
    """One row per POMDP cell (seed 0): the frames it saw at t/n = 1/4 .. 1 with the saliency of
    its last-step greedy score overlaid, then the MDP twin's last frame (what it had to
    remember)."""
    cells = [r for r in records if r.variant == "POMDP"] or list(records)
    columns = len(SALIENCY_TIMES) + 1
    figure, axes = plt.subplots(
        len(cells), columns, figsize=(2 * columns, 2.1 * len(cells)), squeeze=False
    )
    for row, r in zip(axes, cells, strict=True):
        arrays = np.load(out_dir / r.saliency_file)
        frames = arrays["pomdp_frames" if r.variant == "POMDP" else "mdp_frames"][0]
        saliency = arrays["saliency"][0]
        scale = max(float(saliency.max()), 1e-12)
        for ax, frame, heat, t in zip(row, frames, saliency, SALIENCY_TIMES, strict=False):
            ax.imshow(frame)
            ax.imshow(heat / scale, cmap="inferno", alpha=0.6, vmin=0, vmax=1)
            ax.set_title(f"t/n = {t:g}", fontsize=8)
        row[-1].imshow(arrays["mdp_frames"][0][-1])
        row[-1].set_title("MDP twin, t/n = 1", fontsize=8)
        row[0].set_ylabel(f"{r.env_id}\n{r.memory}", fontsize=8)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    return figure


def _training(records: Sequence[CellRecord], env_ids: list[str]):
    figure, axes = _panels(len(env_ids))
    for ax, env_id in zip(axes, env_ids, strict=True):
        for r in records:
            if r.env_id == env_id:
                curves = np.array(r.train_return, dtype=float)  # None -> nan
                with warnings.catch_warnings():  # updates where no seed ended an episode
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean = np.nanmean(curves, 0)
                ax.plot(r.train_env_steps, mean, label=r.cell.split("/", 1)[1])
        ax.set_title(env_id)
        ax.set_xlabel("env steps per seed")
        ax.set_ylabel("training return")
        ax.legend(fontsize=7)
    return figure
