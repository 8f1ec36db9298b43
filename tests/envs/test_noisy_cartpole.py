"""NoisyCartPole: CartPole's dynamics, with observation noise drawn from the step key."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import FIRE, LEFT, RIGHT
from popgym_arcade_twins.envs import cartpole
from popgym_arcade_twins.envs.cartpole import State

MDP, POMDP, PARAMS = pat.make_twins("NoisyCartPoleEasy", obs_size=64)
PLAIN_MDP, PLAIN_POMDP, PLAIN_PARAMS = pat.make_twins("CartPoleEasy", obs_size=64)


def _state(physics, noise=(0.0,) * 4):
    return State(
        physics=jnp.array(physics, jnp.float32),
        noise=jnp.array(noise, jnp.float32),
        time=jnp.int32(5),
    )


def test_presets_set_noise_sigma_and_a_200_step_limit():
    for difficulty, sigma in (("Easy", 0.1), ("Medium", 0.2), ("Hard", 0.3)):
        _, params = pat.make(f"NoisyCartPole{difficulty}", obs_size=64)
        assert float(params.noise_sigma) == pytest.approx(sigma)
        assert int(params.max_steps_in_episode) == 200


def test_noise_is_in_both_twins_and_identical_for_equal_keys():
    state = _state([0.1, -0.2, 0.03, 0.1])
    mdp_noise, pomdp_noise, again, other = (
        np.asarray(env.step(jax.random.key(key), state, RIGHT, PARAMS)[1].noise)
        for env, key in ((MDP, 7), (POMDP, 7), (MDP, 7), (MDP, 8))
    )
    assert np.all(mdp_noise != 0) and np.array_equal(mdp_noise, pomdp_noise)
    assert np.array_equal(mdp_noise, again) and not np.array_equal(mdp_noise, other)


def test_noise_has_the_presets_sigma():
    step = lambda key: (
        cartpole.step(key, _state([0.0] * 4), jnp.int32(RIGHT), MDP.config, PARAMS)[0].noise
    )
    samples = jax.jit(jax.vmap(step))(jax.random.split(jax.random.key(0), 4000))
    np.testing.assert_allclose(np.std(np.asarray(samples), axis=0), 0.1, rtol=0.1)


def test_cartpole_has_no_noise():
    _, state = PLAIN_MDP.reset(jax.random.key(0), PLAIN_PARAMS)
    _, state, *_ = PLAIN_MDP.step(jax.random.key(1), state, LEFT, PLAIN_PARAMS)
    assert not np.any(np.asarray(state.noise))


def test_dynamics_are_cartpoles():
    state = _state([0.5, 0.3, -0.1, 0.7], noise=[0.2, -0.1, 0.05, 0.3])
    for action in (LEFT, RIGHT, FIRE):
        noisy = MDP.step(jax.random.key(3), state, action, PARAMS)
        plain = PLAIN_MDP.step(jax.random.key(3), state, action, PLAIN_PARAMS)
        assert np.array_equal(noisy[1].physics, plain[1].physics)
        assert float(noisy[2]) == float(plain[2]) and bool(noisy[3]) == bool(plain[3])


@pytest.mark.parametrize(("noisy", "plain"), [(MDP, PLAIN_MDP), (POMDP, PLAIN_POMDP)])
def test_frames_differ_from_cartpoles_for_the_same_physics(noisy, plain):
    _, state, *_ = MDP.step(jax.random.key(1), _state([0.1, 0.5, -0.05, 0.2]), LEFT, PARAMS)
    clean = state.replace(noise=jnp.zeros(4))
    draw_noisy, draw_plain = jax.jit(noisy.draw), jax.jit(plain.draw)
    assert not np.array_equal(draw_noisy(state), draw_plain(clean))
    assert np.array_equal(draw_noisy(clean), draw_plain(clean))  # the same drawing, noise aside
