"""CountRecall rules from hand-built states."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import DOWN, FIRE, LEFT, UP
from popgym_arcade_twins.envs.count_recall import State, true_count
from popgym_arcade_twins.testing import expert_policy, first_episode_returns

ENV, PARAMS = pat.make("CountRecallEasy", obs_size=64, num_cards=4)


def _state(dealt, queries, position=0, counter=0):
    return State(
        dealt=jnp.array(dealt, jnp.int32),
        queries=jnp.array(queries, jnp.int32),
        position=jnp.int32(position),
        counter=jnp.int32(counter),
        num_correct=jnp.int32(0),
        time=jnp.int32(0),
    )


def _step(state, action):
    _, state, reward, terminated, _, info = ENV.step(jax.random.key(0), state, action, PARAMS)
    return info["final_state"], float(reward), bool(terminated)


def test_count_includes_the_current_dealt_card():
    state = _state([1, 0, 1, 1], [0, 0, 1, 1], position=2)
    assert int(true_count(state)) == 2  # suit 1 dealt at positions 0 and 2


@pytest.mark.parametrize(("counter", "reward"), [(2, 1 / 4), (1, 0.0), (3, 0.0)])
def test_confirm_pays_one_over_num_cards_only_when_right(counter, reward):
    state, got, terminated = _step(_state([1, 0, 1, 1], [0, 0, 1, 1], 2, counter), FIRE)
    assert got == pytest.approx(reward) and not terminated
    assert int(state.position) == 3 and int(state.counter) == counter  # both advance, counter kept
    assert int(state.num_correct) == (reward > 0)


def test_counter_is_clamped_to_zero_and_num_cards():
    state, reward, _ = _step(_state([0] * 4, [0] * 4, counter=0), DOWN)
    assert int(state.counter) == 0 and reward == 0.0
    state, _, _ = _step(_state([0] * 4, [0] * 4, counter=4), UP)
    assert int(state.counter) == 4
    state, _, _ = _step(_state([0] * 4, [0] * 4, counter=1), LEFT)
    assert int(state.counter) == 1 and int(state.position) == 0


def test_answer_for_the_last_card_terminates():
    _, reward, terminated = _step(_state([0, 1, 0, 1], [1, 1, 0, 0], position=3, counter=2), FIRE)
    assert terminated and reward == pytest.approx(1 / 4)


def test_deck_is_two_shuffles_of_the_same_cards():
    _, state = ENV.reset(jax.random.key(3), PARAMS)
    hard, hard_params = pat.make("CountRecallHard", obs_size=64)
    _, hard_state = hard.reset(jax.random.key(3), hard_params)
    for s, types in ((state, 2), (hard_state, 4)):
        dealt, queries = np.asarray(s.dealt), np.asarray(s.queries)
        assert np.array_equal(
            np.bincount(dealt, minlength=types), np.bincount(queries, minlength=types)
        )
        assert not np.array_equal(dealt, queries) or len(dealt) == 4


def test_mdp_shows_the_dealt_grid_and_pomdp_does_not():
    mdp, pomdp, params = pat.make_twins("CountRecallEasy", obs_size=64)
    _, state = mdp.reset(jax.random.key(0), params)
    grid = mdp.renderer.dealt_grid.grid.box
    board_color = np.asarray(pat.render.to_rgb(pat.render.color("board")))
    pomdp_grid = np.asarray(pomdp.draw(state))[grid.top : grid.bottom, grid.left : grid.right]
    mdp_grid = np.asarray(mdp.draw(state))[grid.top : grid.bottom, grid.left : grid.right]
    assert (pomdp_grid == board_color).all()
    assert not (mdp_grid == board_color).all()  # the first dealt card is in the grid


def test_expert_scores_the_maximum_on_easy():
    env, params = pat.make("CountRecallEasy", obs_size=64)
    episodes = lambda key: first_episode_returns(env, params, expert_policy(env, params), key, 4)
    assert np.allclose(jax.jit(episodes)(jax.random.key(0)), 1.0, atol=1e-5)
