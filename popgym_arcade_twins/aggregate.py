"""Aggregates over games: one number per memory model for J, the gap and the bias.

Per game, a statistic is the mean over seeds (J on a variant) or a difference of two such means
(gap, bias; signs as in `harness`). Across games, the interquartile mean (IQM: the mean of the
middle half, dropping the lowest and highest quarter of games, `floor(n / 4)` each side) and
the plain mean summarize the per-game statistics, so a game with few seeds counts as much as one
with many. Intervals are stratified percentile bootstraps: every resample redraws the seeds of
each game and variant independently, with replacement, and keeps the set of games fixed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from popgym_arcade_twins.harness import Estimate, difference, percentile_estimate

STATISTICS = ("iqm", "mean")


def interquartile_mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mean of `values` along `axis` after dropping its floor(n / 4) lowest and highest."""
    ordered = np.sort(values, axis=axis)
    n = ordered.shape[axis]
    trim = n // 4
    return np.take(ordered, range(trim, n - trim), axis=axis).mean(axis=axis)


SUMMARIES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "iqm": interquartile_mean,
    "mean": lambda values: values.mean(axis=-1),
}


@dataclasses.dataclass(frozen=True)
class Aggregate:
    """One memory model summarized over games by `statistic` ("iqm" or "mean"); `games` holds
    the games each entry covers, in the order (mdp, pomdp, gap, bias)."""

    memory: str
    statistic: str
    mdp: Estimate
    pomdp: Estimate
    gap: Estimate
    bias: Estimate
    games: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def stratified_bootstrap(
    groups: Sequence[Sequence[Sequence[float]]],
    summary: Callable[[np.ndarray], np.ndarray],
    *,
    rng: np.random.Generator,
    num_resamples: int = 2_000,
    confidence: float = 0.95,
) -> Estimate:
    """`summary` over games of each game's statistic, with a stratified bootstrap interval.

    `groups[g]` holds one or two arrays of per-seed returns for game g: the statistic is the
    mean of the first, less the mean of the second if given. NaN when there is no game."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if not groups:
        return Estimate.missing()

    def statistic(game):
        return difference([np.mean(x) for x in game])

    def resampled(game):  # [num_resamples]
        return difference(
            [rng.choice(np.asarray(x, float), (num_resamples, len(x))).mean(1) for x in game]
        )

    value = summary(np.asarray([statistic(game) for game in groups], float))
    draws = summary(np.stack([resampled(game) for game in groups], axis=-1))
    return percentile_estimate(value, draws, confidence)


def aggregate(
    returns: Mapping[tuple[str, str, str], Sequence[float]],
    baseline: str = "none",
    num_resamples: int = 2_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[Aggregate]:
    """Per memory model and statistic, J on each variant, the gap and the bias across games,
    from per-seed returns keyed (env_id, memory, variant) as in `harness.gap_and_bias`. A game
    enters an entry only if it has every cell that entry needs; the baseline has no bias."""
    rng = np.random.default_rng(seed)
    env_ids = list(dict.fromkeys(env_id for env_id, _, _ in returns))
    rows = []
    for memory in dict.fromkeys(memory for _, memory, _ in returns):
        cells = {  # per entry: the (memory, variant) cells of a game it compares
            "mdp": ((memory, "MDP"),),
            "pomdp": ((memory, "POMDP"),),
            "gap": ((memory, "MDP"), (memory, "POMDP")),
            "bias": ((memory, "MDP"), (baseline, "MDP")) if memory != baseline else (),
        }
        covered = {
            name: tuple(e for e in env_ids if pairs and all((e, *p) in returns for p in pairs))
            for name, pairs in cells.items()
        }
        for statistic in STATISTICS:
            estimates = {
                name: stratified_bootstrap(
                    [[returns[(e, *p)] for p in cells[name]] for e in covered[name]],
                    SUMMARIES[statistic],
                    rng=rng,
                    num_resamples=num_resamples,
                    confidence=confidence,
                )
                for name in cells
            }
            games = tuple(covered[name] for name in cells)
            rows.append(Aggregate(memory, statistic, **estimates, games=games))
    return rows
