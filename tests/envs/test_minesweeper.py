"""MineSweeper rules from hand-built states; the expert plays from the shown numbers alone."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import DOWN, FIRE, LEFT, RIGHT, UP
from popgym_arcade_twins.envs import minesweeper
from popgym_arcade_twins.envs.minesweeper import State, neighbour_counts
from popgym_arcade_twins.testing import expert_policy, run

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


def test_expert_walks_to_a_cell_the_numbers_prove_safe():
    # Revealed: (0, 1) shows 1 with (0, 0) its only covered neighbour, so (0, 0) is a mine, and
    # (1, 0)'s 1 is that mine, so (2, 0) and (2, 1) are safe; (0, 2)'s 0 makes (0, 3) and
    # (1, 3) safe. From (1, 0) the nearest is (2, 0), down; without the deduction it would be
    # (1, 3). On the mine itself the expert walks off rather than fire.
    state = _state(cursor=(1, 0), revealed=[(0, 1), (0, 2), (1, 0), (1, 1), (1, 2)])
    assert int(minesweeper.expert(state, ENV.config, PARAMS)) == DOWN
    at_mine = state.replace(cursor=jnp.array([0, 0], jnp.int32))
    assert int(minesweeper.expert(at_mine, ENV.config, PARAMS)) == DOWN


def test_expert_never_reveals_twice_and_reads_only_the_shown_numbers():
    """Along 32 steps of 16 envs under the expert: no repeat, and the same action on every mine
    layout that leaves the frame as it is (the same revealed cells showing the same numbers)."""
    record = lambda step: (step.state, step.action, step.final_state.num_repeats)
    play = lambda key: run(ENV, PARAMS, expert_policy(ENV, PARAMS), key, 16, 32, record=record)
    _, (states, actions, num_repeats) = jax.jit(play)(jax.random.key(0))
    assert np.all(np.asarray(num_repeats) == 0)

    pairs = np.array(list(itertools.combinations(range(16), 2)))  # every layout of 2 mines
    layouts = np.zeros((len(pairs), 16), bool)
    layouts[np.arange(len(pairs))[:, None], pairs] = True
    layouts = jnp.asarray(layouts.reshape(-1, 4, 4))

    def on_every_layout(state):
        same_frame = jax.vmap(
            lambda mines: (
                ~jnp.any(mines & state.revealed)
                & jnp.all(
                    (neighbour_counts(mines) == neighbour_counts(state.mines)) | ~state.revealed
                )
            )
        )(layouts)
        act = jax.vmap(
            lambda mines: minesweeper.expert(state.replace(mines=mines), ENV.config, PARAMS)
        )
        return same_frame, act(layouts)

    same_frame, layout_actions = jax.jit(jax.vmap(jax.vmap(on_every_layout)))(states)
    same_frame = np.asarray(same_frame)
    expected = np.broadcast_to(np.asarray(actions)[..., None], same_frame.shape)
    np.testing.assert_array_equal(np.asarray(layout_actions)[same_frame], expected[same_frame])
    assert same_frame.sum(axis=-1).mean() > 2  # frames that leave several layouts open
