"""MineSweeper rules from hand-built states."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import DOWN, FIRE, LEFT, RIGHT, UP
from popgym_arcade_twins.envs.minesweeper import State, neighbour_counts

ENV, PARAMS = pat.make("MineSweeperEasy", obs_size=64)  # 4 x 4, 2 mines
MINES = np.zeros((4, 4), bool)
MINES[0, 0] = MINES[2, 3] = True


def _state(cursor=(1, 1), revealed=(), repeats=0):
    revealed_cells = np.zeros((4, 4), bool)
    for cell in revealed:
        revealed_cells[cell] = True
    return State(
        mines=jnp.asarray(MINES),
        revealed=jnp.asarray(revealed_cells),
        cursor=jnp.array(cursor, jnp.int32),
        num_repeats=jnp.int32(repeats),
        time=jnp.int32(0),
    )


def _step(state, action):
    _, _, reward, terminated, _, info = ENV.step(jax.random.key(0), state, action, PARAMS)
    return info["final_state"], float(reward), bool(terminated)


def test_neighbour_counts():
    counts = np.asarray(neighbour_counts(jnp.asarray(MINES)))
    assert counts[1, 1] == 1 and counts[1, 2] == 1 and counts[3, 3] == 1 and counts[0, 3] == 0
    assert counts[0, 0] == 0  # a mine does not count itself


def test_new_safe_cell_pays_one_over_safe_cells():
    state, reward, terminated = _step(_state(), FIRE)
    assert reward == pytest.approx(1 / 14) and not terminated and bool(state.revealed[1, 1])


def test_revealing_again_is_penalized():
    state, reward, terminated = _step(_state(revealed=[(1, 1)]), FIRE)
    assert reward == pytest.approx(-1 / 8) and int(state.num_repeats) == 1 and not terminated


def test_repeat_that_reaches_the_limit_terminates():
    _, reward, terminated = _step(_state(revealed=[(1, 1)], repeats=7), FIRE)
    assert terminated and reward == pytest.approx(-1 / 8)


def test_revealing_a_mine_terminates_with_zero():
    _, reward, terminated = _step(_state(cursor=(0, 0)), FIRE)
    assert terminated and reward == 0.0


def test_revealing_the_last_safe_cell_terminates():
    safe = [(r, c) for r in range(4) for c in range(4) if not MINES[r, c] and (r, c) != (3, 0)]
    _, reward, terminated = _step(_state(cursor=(3, 0), revealed=safe), FIRE)
    assert terminated and reward == pytest.approx(1 / 14)


@pytest.mark.parametrize(
    ("cursor", "action", "expected"),
    [((0, 0), UP, (0, 0)), ((0, 0), LEFT, (0, 0)), ((3, 3), DOWN, (3, 3)), ((1, 2), RIGHT, (1, 3))],
)
def test_cursor_moves_and_is_clamped(cursor, action, expected):
    state, reward, _ = _step(_state(cursor=cursor), action)
    assert tuple(np.asarray(state.cursor)) == expected and reward == 0.0


def test_reset_places_the_preset_number_of_mines():
    for key in jax.random.split(jax.random.key(0), 5):
        _, state = ENV.reset(key, PARAMS)
        assert int(state.mines.sum()) == 2 and not bool(state.revealed.any())


def test_pomdp_shows_a_revealed_number_only_under_the_cursor():
    mdp, pomdp, params = pat.make_twins("MineSweeperEasy", obs_size=64)
    cell = mdp.renderer.view.grid.cell
    state = _state(cursor=(3, 3), revealed=[(1, 1)])

    def cell_pixels(env, state, row, col):
        top, left = (
            mdp.renderer.view.grid.top + row * cell,
            mdp.renderer.view.grid.left + col * cell,
        )
        return np.asarray(env.draw(state))[top : top + cell, left : left + cell]

    covered = cell_pixels(mdp, state, 3, 0)
    assert not np.array_equal(cell_pixels(mdp, state, 1, 1), covered)  # MDP: the "1" is shown
    assert np.array_equal(cell_pixels(pomdp, state, 1, 1), covered)  # POMDP: looks covered
    at_cursor = state.replace(cursor=jnp.array([1, 1], jnp.int32))
    assert np.array_equal(cell_pixels(pomdp, at_cursor, 1, 1), cell_pixels(mdp, at_cursor, 1, 1))
