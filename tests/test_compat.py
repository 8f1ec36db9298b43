"""`popgym_arcade_twins.compat`: POPGym Arcade's make, 5-tuple step, array-only info, attributes."""

import copy
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
import popgym_arcade_twins.compat as popgym_arcade
from popgym_arcade_twins.core import FIRE, UP

POPGYM_ARCADE_GAMES = [
    "AutoEncode",
    "BattleShip",
    "Breakout",
    "CartPole",
    "CountRecall",
    "MineSweeper",
    "Navigator",
    "NoisyCartPole",
    "Skittles",
    "Tetris",
]


def test_registered_environments_are_popgym_arcades_thirty_ids():
    expected = {g + d for g in POPGYM_ARCADE_GAMES for d in ("Easy", "Medium", "Hard")}
    assert set(popgym_arcade.REGISTERED_ENVIRONMENTS) == expected
    assert len(popgym_arcade.REGISTERED_ENVIRONMENTS) == 30


def test_vmapped_step_returns_five_values_and_valid_frames():
    env, params = popgym_arcade.make("BreakoutEasy", partial_obs=True, obs_size=64)
    reset = jax.jit(jax.vmap(env.reset, in_axes=(0, None)))
    step = jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None)))
    obs, state = reset(jax.random.split(jax.random.key(0), 3), params)
    for t in range(3):
        action_key, step_key = jax.random.split(jax.random.key(t))
        actions = jax.vmap(env.action_space(params).sample)(jax.random.split(action_key, 3))
        out = step(jax.random.split(step_key, 3), state, actions, params)
        assert len(out) == 5
        obs, state, reward, done, info = out
        assert env.observation_space(params).contains(obs)
        assert obs.shape == (3, 64, 64, 3) and reward.shape == done.shape == (3,)
        assert done.dtype == jnp.bool_


def test_info_holds_only_arrays_that_average():
    env, params = popgym_arcade.make("CountRecallEasy", obs_size=64, num_cards=3)

    def rollout(key):
        def one_step(state, key):
            _, state, _, done, info = env.step(key, state, FIRE, params)
            return state, (done, info)

        _, state = env.reset(key, params)
        return jax.lax.scan(one_step, state, jax.random.split(key, 8))[1]

    done, info = jax.jit(rollout)(jax.random.key(0))
    assert set(info) == {"terminated", "truncated"}
    assert all(isinstance(v, jax.Array) for v in info.values())
    means = {k: float(v.mean()) for k, v in info.items()}  # what PQN's logging does
    assert means["terminated"] > 0 and means["truncated"] == 0
    np.testing.assert_array_equal(done, info["terminated"] | info["truncated"])


def test_done_and_auto_reset_are_the_twin_envs():
    env, params = popgym_arcade.make("CountRecallEasy", obs_size=64, num_cards=2)
    twin, _ = pat.make("CountRecallEasy", obs_size=64, num_cards=2)
    _, state = env.reset(jax.random.key(0), params)
    _, twin_state = twin.reset(jax.random.key(0), params)
    for t in range(5):
        obs, state, reward, done, _ = env.step(jax.random.key(t), state, FIRE, params)
        twin_obs, twin_state, twin_reward, terminated, truncated, _ = twin.step(
            jax.random.key(t), twin_state, FIRE, params
        )
        np.testing.assert_array_equal(obs, twin_obs)
        assert float(reward) == float(twin_reward)
        assert bool(done) == bool(terminated | truncated) == (t % 2 == 1)  # two cards, two fires
    assert int(state.time) == int(twin_state.time) == 1


def test_attributes_popgym_arcade_envs_have():
    env, params = popgym_arcade.make("CartPoleHard", partial_obs=True, obs_size=64)
    assert env.max_steps_in_episode == int(params.max_steps_in_episode) == 600
    assert env.obs_size == 64 and env.partial_obs is True and env.num_actions == 5
    assert env.action_space(params).n == 5
    assert env.observation_space(params).shape == (64, 64, 3)
    obs, state = jax.jit(env.reset)(jax.random.key(0), params)
    np.testing.assert_array_equal(jax.jit(env.get_obs)(state), obs)
    shorter, shorter_params = popgym_arcade.make("CartPoleHard", max_steps_in_episode=7)
    assert shorter.max_steps_in_episode == int(shorter_params.max_steps_in_episode) == 7


@pytest.mark.parametrize(
    "round_trip", [copy.copy, copy.deepcopy, lambda env: pickle.loads(pickle.dumps(env))]
)
def test_arcade_env_copies_and_pickles(round_trip):
    env, params = popgym_arcade.make("CountRecallEasy", obs_size=64, num_cards=3)
    clone = round_trip(env)
    _, state = env.reset(jax.random.key(0), params)
    _, clone_state = clone.reset(jax.random.key(0), params)
    a = env.step(jax.random.key(1), state, UP, params)
    b = clone.step(jax.random.key(1), clone_state, UP, params)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert clone.max_steps_in_episode == env.max_steps_in_episode


def test_unknown_id_says_what_exists():
    with pytest.raises(ValueError, match="did you mean CartPoleEasy"):
        popgym_arcade.make("CartPoleEasyy")
