"""Aggregates over games: the IQM and mean of per-game statistics, stratified intervals."""

import numpy as np
import pytest

from popgym_arcade_twins.aggregate import aggregate, interquartile_mean, stratified_bootstrap


def test_interquartile_mean_drops_a_quarter_of_games_each_side():
    assert interquartile_mean(np.array([100.0, 0.0, 3.0, 1.0, 2.0])) == pytest.approx(2.0)
    assert interquartile_mean(np.array([5.0, -1.0, 1.0, 9.0])) == pytest.approx(3.0)
    assert interquartile_mean(np.array([1.0, 4.0])) == pytest.approx(2.5)  # nothing to drop


def constant_sweep():
    """Five games whose seeds agree: gap 0, 1, 2, 3, 100 and bias -1 for "gru"."""
    returns = {}
    for game, gap in enumerate((0.0, 1.0, 2.0, 3.0, 100.0)):
        env_id = f"Game{game}"
        returns[(env_id, "gru", "MDP")] = [gap + 1.0] * 3
        returns[(env_id, "gru", "POMDP")] = [1.0] * 3
        returns[(env_id, "none", "MDP")] = [gap + 2.0] * 2
    return returns


def test_known_answers_with_no_spread_over_seeds():
    rows = {(r.memory, r.statistic): r for r in aggregate(constant_sweep(), num_resamples=200)}
    iqm, mean = rows[("gru", "iqm")], rows[("gru", "mean")]
    assert (iqm.gap.value, iqm.gap.low, iqm.gap.high) == pytest.approx((2.0, 2.0, 2.0))
    assert mean.gap.value == pytest.approx(21.2)
    assert iqm.bias.value == pytest.approx(-1.0) and iqm.pomdp.value == pytest.approx(1.0)
    assert iqm.mdp.value == pytest.approx(3.0)
    baseline = rows[("none", "iqm")]
    assert np.isnan(baseline.bias.value) and np.isnan(baseline.gap.value)
    assert baseline.games == (tuple(f"Game{g}" for g in range(5)), (), (), ())


def test_intervals_resample_seeds_within_each_game():
    rng = np.random.default_rng(0)
    # Game A's seeds spread over [0, 1]; game B's agree. The mean's interval comes from A alone:
    # half of A's spread, around the point estimate.
    a, b = [0.0, 1.0, 0.0, 1.0], [0.5] * 4
    estimate = stratified_bootstrap([[a], [b]], lambda x: x.mean(-1), rng=rng)
    assert estimate.value == pytest.approx(0.5)
    alone = stratified_bootstrap([[a]], lambda x: x.mean(-1), rng=rng)
    width, width_alone = estimate.high - estimate.low, alone.high - alone.low
    assert estimate.low < 0.5 < estimate.high
    assert width == pytest.approx(width_alone / 2, rel=0.25)


def test_a_game_missing_a_cell_is_left_out_of_that_entry():
    returns = constant_sweep()
    del returns[("Game4", "gru", "POMDP")]
    rows = {(r.memory, r.statistic): r for r in aggregate(returns, num_resamples=50)}
    mean = rows[("gru", "mean")]
    assert mean.gap.value == pytest.approx(1.5) and len(mean.games[2]) == 4
    assert len(mean.games[0]) == 5
