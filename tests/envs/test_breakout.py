"""Breakout rules from hand-built states: bricks, walls, paddle, losing the ball, frames."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import LEFT, RIGHT, UP
from popgym_arcade_twins.envs import breakout
from popgym_arcade_twins.envs.breakout import State
from popgym_arcade_twins.testing import expert_policy, run

ENV, PARAMS = pat.make("BreakoutEasy", obs_size=64)  # 10 x 20, bricks in rows 1-6, paddle 6 wide
FULL = np.zeros((10, 20), bool)
FULL[1:7] = True


def _state(ball, direction, paddle=7, bricks=FULL, score=0):
    return State(
        bricks=jnp.asarray(bricks),
        ball=jnp.array(ball, jnp.int32),
        direction=jnp.array(direction, jnp.int32),
        paddle=jnp.int32(paddle),
        score=jnp.int32(score),
        time=jnp.int32(3),
    )


def _step(state, action=UP):
    _, _, reward, terminated, _, info = ENV.step(jax.random.key(0), state, action, PARAMS)
    return info["final_state"], float(reward), bool(terminated)


@pytest.mark.parametrize(("row", "points"), [(6, 1), (3, 4), (1, 6)])
def test_a_brick_pays_its_rows_reward_and_sends_the_ball_back(row, points):
    bricks = np.zeros((10, 20), bool)
    bricks[row, 6] = bricks[1, 0] = True
    state, reward, terminated = _step(_state((row + 1, 5), (-1, 1), bricks=bricks, score=2))
    assert reward == pytest.approx(points / 420) and not terminated
    assert not bool(state.bricks[row, 6]) and int(state.bricks.sum()) == 1
    assert state.ball.tolist() == [row + 1, 6] and state.direction.tolist() == [1, 1]
    assert int(state.score) == 2 + points


def test_higher_rows_pay_more_and_all_bricks_sum_to_one():
    for difficulty in ("Easy", "Medium", "Hard"):
        env, params = pat.make(f"Breakout{difficulty}", obs_size=64)
        points = env.config.row_points
        assert np.all(np.diff(points[1:7]) < 0)  # row 1 pays most
        total = np.sum(points[:, None] * FULL) * params.point_reward
        assert total == pytest.approx(1.0)


def test_losing_the_ball_costs_the_share_of_bricks_left_and_terminates():
    bricks = FULL.copy()
    bricks[6, :5] = False  # 115 left
    state, reward, terminated = _step(_state((8, 1), (1, 1), paddle=10, bricks=bricks))
    assert terminated and reward == pytest.approx(-115 / 120)
    assert state.ball.tolist() == [9, 2]


def test_paddle_under_the_ball_bounces_it_up():
    state, reward, terminated = _step(_state((8, 9), (1, 1), paddle=7))
    assert not terminated and reward == 0.0
    assert state.ball.tolist() == [8, 10] and state.direction.tolist() == [-1, 1]


def test_paddle_edge_under_the_new_column_sends_the_ball_straight_back():
    state, _, terminated = _step(_state((8, 6), (1, 1), paddle=7))
    assert not terminated
    assert state.ball.tolist() == [8, 7] and state.direction.tolist() == [-1, -1]


def test_paddle_moves_before_the_ball_lands_and_is_clamped():
    state, _, terminated = _step(_state((8, 5), (1, -1), paddle=6), LEFT)  # paddle 5..10 catches
    assert not terminated and int(state.paddle) == 5
    state, _, _ = _step(_state((3, 5), (1, 1), paddle=14), RIGHT)
    assert int(state.paddle) == 14  # 20 - 6


def test_side_walls_and_ceiling_reflect():
    empty = np.zeros((10, 20), bool)
    empty[6, 10] = True
    state, _, _ = _step(_state((4, 19), (-1, 1), bricks=empty))
    assert state.ball.tolist() == [3, 19] and state.direction.tolist() == [-1, -1]
    state, _, _ = _step(_state((0, 4), (-1, -1), bricks=empty))
    assert state.ball.tolist() == [0, 3] and state.direction.tolist() == [1, -1]


def test_clearing_the_last_brick_terminates():
    last = np.zeros((10, 20), bool)
    last[6, 6] = True
    _, reward, terminated = _step(_state((7, 5), (-1, 1), bricks=last))
    assert terminated and reward == pytest.approx(1 / 420)


def test_reset_launches_the_ball_up_from_above_the_paddle():
    for seed in range(8):
        state = breakout.reset(jax.random.key(seed), ENV.config, PARAMS)
        assert int(state.ball[0]) == 7 and int(state.direction[0]) == -1
        assert 7 <= int(state.ball[1]) < 13 and int(state.paddle) == 7
        assert int(state.bricks.sum()) == 120


def test_expert_clears_every_brick():
    record = lambda step: (step.final_state.bricks, step.episode_return, step.terminated)
    episode = lambda key: run(ENV, PARAMS, expert_policy(ENV, PARAMS), key, 1, 1500, record=record)
    _, (bricks, returns, terminated) = jax.jit(episode)(jax.random.key(1))
    terminated = np.asarray(terminated[:, 0])
    assert terminated.any()
    end = np.argmax(terminated)
    assert int(bricks[end, 0].sum()) == 0
    assert float(returns[end, 0]) == pytest.approx(1.0, abs=1e-5)


_MDP, _POMDP, _ = pat.make_twins("BreakoutEasy", obs_size=128)
_DRAW = jax.jit(lambda state: (_MDP.draw(state), _POMDP.draw(state)))


def _frames(state):
    return tuple(np.asarray(frame) for frame in _DRAW(state))


def test_pomdp_hides_the_ball_while_it_moves_down_and_never_draws_the_trail():
    up, down = _state((8, 4), (-1, 1)), _state((8, 4), (1, 1))
    moved_up, moved_down = _state((8, 12), (-1, 1)), _state((8, 12), (1, 1))
    (mdp_up, pomdp_up), (mdp_down, pomdp_down) = _frames(up), _frames(down)
    assert np.array_equal(pomdp_down, _frames(moved_down)[1])  # the falling ball is not drawn
    assert not np.array_equal(pomdp_up, _frames(moved_up)[1])  # the rising ball is
    assert np.array_equal(pomdp_up, _frames(_state((8, 4), (-1, -1)))[1])  # no trail
    assert not np.array_equal(mdp_up, mdp_down)  # the MDP's trail shows the direction
    assert not np.array_equal(mdp_up, _frames(_state((8, 4), (-1, -1)))[0])
