"""CartPole rules: classic physics, termination on the crossing step, rewards, frames."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from gymnax.environments.classic_control import cartpole as gymnax_cartpole

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import FIRE, LEFT, RIGHT
from popgym_arcade_twins.envs.cartpole import State

ENV, PARAMS = pat.make("CartPoleEasy", obs_size=64)


def _state(physics):
    return State(physics=jnp.array(physics, jnp.float32), noise=jnp.zeros(4), time=jnp.int32(5))


def _step(state, action):
    _, _, reward, terminated, _, info = ENV.step(jax.random.key(0), state, action, PARAMS)
    return info["final_state"], float(reward), bool(terminated)


@pytest.mark.parametrize(("action", "gymnax_action"), [(LEFT, 0), (RIGHT, 1)])
def test_physics_match_gymnax_cartpole(action, gymnax_action):
    physics = [0.1, -0.3, 0.05, 0.4]
    state, _, _ = _step(_state(physics), action)
    reference = gymnax_cartpole.CartPole()
    x, x_dot, theta, theta_dot = (jnp.float32(v) for v in physics)
    ref_state = gymnax_cartpole.EnvState(x=x, x_dot=x_dot, theta=theta, theta_dot=theta_dot, time=0)
    _, ref_next, *_ = reference.step_env(
        jax.random.key(0), ref_state, gymnax_action, reference.default_params
    )
    expected = [ref_next.x, ref_next.x_dot, ref_next.theta, ref_next.theta_dot]
    np.testing.assert_allclose(np.asarray(state.physics), np.asarray(expected), rtol=1e-5)


def test_no_force_actions_are_equal():
    states = [_step(_state([0.0, 0.1, 0.02, 0.0]), a)[0].physics for a in (0, 1, FIRE)]
    assert all(np.array_equal(states[0], s) for s in states[1:])


def test_pole_falls_past_12_degrees_on_the_step_it_crosses():
    limit = 12 * np.pi / 180
    state = _state([0.0, 0.0, limit - 0.01, 1.0])  # angle grows by tau * 1.0 = 0.02 this step
    state, reward, terminated = _step(state, LEFT)
    assert float(state.physics[2]) > limit and terminated and reward == 0.0
    safe = _state([0.0, 0.0, limit - 0.03, 1.0])
    _, reward, terminated = _step(safe, LEFT)
    assert not terminated and reward == pytest.approx(1 / 200)


def test_cart_leaving_the_track_terminates():
    _, _, terminated = _step(_state([2.39, 1.0, 0.0, 0.0]), RIGHT)
    assert terminated


def test_reward_scale_follows_the_time_limit():
    env, params = pat.make("CartPoleHard", obs_size=64)
    _, _, reward, *_ = env.step(jax.random.key(0), _state([0.0] * 4), LEFT, params)
    assert float(reward) == pytest.approx(1 / 600)


def test_pomdp_shows_cart_and_pole_only_at_reset():
    mdp, pomdp, params = pat.make_twins("CartPoleEasy", obs_size=64)
    _, state = mdp.reset(jax.random.key(0), params)
    draw_mdp, draw_pomdp = jax.jit(mdp.draw), jax.jit(pomdp.draw)  # compiled, not op by op
    assert np.array_equal(draw_mdp(state), draw_pomdp(state))
    later = state.replace(time=jnp.int32(1))
    track = mdp.renderer.track
    mdp_track = np.asarray(draw_mdp(later))[track.top : track.bottom]
    pomdp_track = np.asarray(draw_pomdp(later))[track.top : track.bottom]
    assert not np.array_equal(mdp_track, pomdp_track)
    below = slice(track.bottom, None)
    assert np.array_equal(np.asarray(draw_mdp(later))[below], np.asarray(draw_pomdp(later))[below])


def test_velocity_arrows_encode_sign():
    mdp, params = pat.make("CartPoleEasy", obs_size=64)
    box, draw = mdp.renderer.linear, jax.jit(mdp.draw)
    left = np.asarray(draw(_state([0.0, -1.5, 0.0, 0.0])))[
        box.top : box.bottom, box.left : box.right
    ]
    right = np.asarray(draw(_state([0.0, 1.5, 0.0, 0.0])))[
        box.top : box.bottom, box.left : box.right
    ]
    np.testing.assert_array_equal(left, right[:, ::-1])  # mirror images
    assert not np.array_equal(left, right)
