"""Board helpers: cursor moves and the bounded samplers the games place things with."""

import jax
import jax.numpy as jnp
import numpy as np

from popgym_arcade_twins.core import DOWN, FIRE, LEFT, RIGHT, UP
from popgym_arcade_twins.envs import board


def test_move_is_clamped_and_fire_stays():
    position = jnp.array([0, 2], jnp.int32)
    moved = [board.move(position, a, 3, 3).tolist() for a in (UP, DOWN, LEFT, RIGHT, FIRE)]
    assert moved == [[0, 2], [1, 2], [0, 1], [0, 2], [0, 2]]


def test_sample_true_picks_only_true_entries_uniformly():
    mask = jnp.array([[False, True, False], [True, False, True]])
    bits = jax.random.bits(jax.random.key(0), (6000,))
    picks = np.asarray(jax.vmap(board.sample_true, (0, None))(bits, mask))
    counts = np.bincount(picks, minlength=6)
    assert counts[[0, 2, 4]].sum() == 0
    assert np.all(np.abs(counts[[1, 3, 5]] - 2000) < 150)  # about 4.5 standard deviations
    assert board.cell_of(jnp.int32(5), 3).tolist() == [1, 2]


def test_sample_distinct_draws_uniform_subsets_without_repeats():
    bits = jax.vmap(lambda key: board.random_bits(key, 3))(
        jax.random.split(jax.random.key(1), 6000)
    )
    subsets = np.asarray(jax.jit(jax.vmap(lambda b: board.sample_distinct(b, 5)))(bits))
    assert subsets.min() >= 0 and subsets.max() < 5
    assert all(len(set(s)) == 3 for s in subsets)
    counts = np.bincount(subsets.ravel(), minlength=5)  # each cell in 3/5 of the subsets
    assert np.all(np.abs(counts - 3600) < 170)
    assert len({tuple(sorted(s)) for s in subsets}) == 10  # every 3-subset of 5 occurs


def test_nearest_is_the_closest_target_or_the_position_itself():
    targets = jnp.zeros((4, 5), bool).at[0, 4].set(True).at[3, 1].set(True)
    assert board.nearest(jnp.array([2, 2]), targets).tolist() == [3, 1]  # 2 moves against 4
    assert board.nearest(jnp.array([0, 3]), targets).tolist() == [0, 4]
    assert board.nearest(jnp.array([1, 1]), jnp.zeros((4, 5), bool)).tolist() == [1, 1]
