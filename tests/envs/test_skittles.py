"""Skittles rules from hand-built states: scrolling, spawning, dying, the POMDP mask."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import LEFT, RIGHT, UP
from popgym_arcade_twins.envs import skittles
from popgym_arcade_twins.envs.skittles import State

ENV, PARAMS = pat.make("SkittlesMedium", obs_size=64)  # 10 x 10, lane = columns 2..8


def _state(enemies=(), agent=5, shown=None):
    board = np.zeros((10, 10), bool)
    for cell in enemies:
        board[cell] = True
    shown = np.ones((10, 10), bool) if shown is None else shown
    return State(
        enemies=jnp.asarray(board),
        agent=jnp.int32(agent),
        shown=jnp.asarray(shown),
        time=jnp.int32(4),
    )


def _step(state, action=UP, key=0):
    _, _, reward, terminated, _, info = ENV.step(jax.random.key(key), state, action, PARAMS)
    return info["final_state"], float(reward), bool(terminated)


def test_board_scrolls_down_and_one_enemy_enters_the_lane():
    state, reward, terminated = _step(_state([(0, 3), (4, 7), (9, 2)]))
    assert not terminated and reward == pytest.approx(1 / 100)
    enemies = np.asarray(state.enemies)
    assert enemies[1, 3] and enemies[5, 7] and enemies[1:].sum() == 2  # bottom row left the board
    assert enemies[0].sum() == 1
    spawned = {int(np.argmax(_step(_state(), key=k)[0].enemies[0])) for k in range(60)}
    assert spawned == set(range(2, 9))  # every lane column, nothing outside the lane


def test_an_enemy_reaching_the_agent_terminates_with_zero():
    _, reward, terminated = _step(_state([(8, 5)], agent=5))
    assert terminated and reward == 0.0
    _, reward, terminated = _step(_state([(8, 5)], agent=5), LEFT)  # dodged
    assert not terminated and reward == pytest.approx(1 / 100)


def test_stepping_onto_an_enemy_in_the_bottom_row_terminates():
    _, _, terminated = _step(_state([(9, 6)], agent=5), RIGHT)
    assert terminated
    _, _, terminated = _step(_state([(9, 6)], agent=5), LEFT)
    assert not terminated


def test_agent_is_clamped_to_the_lane():
    assert int(_step(_state(agent=2), LEFT)[0].agent) == 2
    assert int(_step(_state(agent=8), RIGHT)[0].agent) == 8
    agents = {int(skittles.reset(jax.random.key(k), ENV.config, PARAMS).agent) for k in range(40)}
    assert agents <= set(range(2, 9))


def test_visibility_mask_is_drawn_from_the_step_key_into_the_state():
    state = skittles.reset(jax.random.key(0), ENV.config, PARAMS)
    assert bool(jnp.all(state.shown))  # t=0: the POMDP shows everything
    a, b = _step(state, key=1)[0].shown, _step(state, key=2)[0].shown
    assert np.array_equal(a, _step(state, key=1)[0].shown) and not np.array_equal(a, b)
    assert 0.3 < float(jnp.mean(a)) < 0.7


def _cell_colour(frame, renderer, row, col):
    grid = renderer.view.grid
    centre = (
        grid.top + row * grid.cell + grid.cell // 2,
        grid.left + col * grid.cell + grid.cell // 2,
    )
    return tuple(frame[centre])


def test_pomdp_shows_the_enemies_its_mask_shows_and_the_mdp_shows_all():
    mdp, pomdp, _ = pat.make_twins("SkittlesMedium", obs_size=128)
    draw_mdp, draw_pomdp = jax.jit(mdp.draw), jax.jit(pomdp.draw)
    enemies = [(1, 3), (3, 4), (6, 5), (8, 6)]
    shown = np.zeros((10, 10), bool)
    shown[1, 3] = shown[6, 5] = shown[0, 0] = True
    state = _state(enemies, agent=5, shown=shown)
    empty = _state([], agent=5)
    mdp_frame, pomdp_frame = np.asarray(draw_mdp(state)), np.asarray(draw_pomdp(state))
    blank = np.asarray(draw_mdp(empty))
    for row, col in enemies:
        background = _cell_colour(blank, mdp.renderer, row, col)
        assert _cell_colour(mdp_frame, mdp.renderer, row, col) != background
        is_shown = _cell_colour(pomdp_frame, pomdp.renderer, row, col) != background
        assert is_shown == bool(shown[row, col])
    assert np.array_equal(
        np.asarray(draw_pomdp(_state(enemies, shown=np.ones((10, 10), bool)))), mdp_frame
    )
    assert np.array_equal(
        np.asarray(draw_pomdp(_state([], agent=5, shown=shown))), blank
    )  # agent always


def test_expert_dodges_the_enemy_about_to_land():
    action = skittles.expert(_state([(8, 5), (9, 4)], agent=5), ENV.config, PARAMS)
    assert int(action) == RIGHT  # staying is hit, left steps onto the bottom-row enemy
