"""MemoryChain: bsuite's observations without the duplicated first step, the reward rule, and
pixel twins that conform and hide the context after the first frame."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popgym_arcade_twins.tasks.memory_chain import make_memory_chain
from popgym_arcade_twins.testing import FAST_COMPILE, check_pair


def play(env, params, key, actions):
    """Reset, then take `actions`: (observations [len + 1, ...], rewards, terminated)."""
    obs, state = env.reset(key, params)
    observations, rewards, terminated = [obs], [], []
    for t, action in enumerate(actions):
        obs, state, reward, term, _, _ = env.step(jax.random.fold_in(key, t), state, action, params)
        observations.append(obs)
        rewards.append(reward)
        terminated.append(term)
    return jnp.stack(observations), jnp.stack(rewards), jnp.stack(terminated), state


_play = jax.jit(play, static_argnums=(0,), compiler_options=FAST_COMPILE)


@pytest.mark.parametrize("partial_obs", [True, False])
def test_vector_episode_follows_bsuite_without_the_repeated_first_step(partial_obs):
    env, params = make_memory_chain(8, partial_obs=partial_obs)
    params = params.replace(memory_length=5, max_steps_in_episode=5)  # traced: no new env
    obs, rewards, terminated, _ = _play(env, params, jax.random.key(0), np.ones(6, np.int32))
    context = obs[0, 2]
    assert obs.shape == (7, 3) and context in (-1.0, 1.0)
    np.testing.assert_allclose(obs[:5, 0], 1 - np.arange(5) / 5)  # one observation per t
    np.testing.assert_array_equal(obs[:5, 1], 0.0)  # one bit: the query is bit 0
    shown = obs[:5, 2] if partial_obs else obs[:5, 2] - context
    np.testing.assert_array_equal(shown, [context, 0, 0, 0, 0] if partial_obs else 0.0)
    # Action 1 names bit 1: paid at t = L-1 only, +1 if the context bit is 1.
    np.testing.assert_array_equal(rewards[:5], [0, 0, 0, 0, context])
    np.testing.assert_array_equal(terminated[:5], [False] * 4 + [True])
    assert obs[5, 0] == 1.0  # auto-reset: the next episode's t = 0


def test_only_the_named_bit_pays():
    env, params = make_memory_chain(3, num_bits=4)
    rewards = []
    for seed in range(6):
        _, reward, _, _ = _play(env, params, jax.random.key(seed), np.zeros(3, np.int32))
        obs, reward_one, _, _ = _play(env, params, jax.random.key(seed), np.ones(3, np.int32))
        obs, reward, reward_one = np.asarray(obs), np.asarray(reward), np.asarray(reward_one)
        bit = bool(obs[0, 2 + int(obs[2, 1])] > 0)  # the context shown at t = 0, queried at t = 2
        assert reward[2] == (-1 if bit else 1) and reward_one[2] == (1 if bit else -1)
        rewards.append(float(reward[2]))
    assert set(rewards) == {-1.0, 1.0}


def test_pixel_twins_conform_and_hide_the_context():
    mdp, _ = make_memory_chain(4, partial_obs=False, obs_size=32)
    pomdp, params = make_memory_chain(4, partial_obs=True, obs_size=32)
    mdp_records, pomdp_records = check_pair(mdp, pomdp, params, num_envs=8, num_steps=12)
    records = {False: mdp_records, True: pomdp_records}
    context = np.asarray(records[True].state.context[..., 0])  # [steps, envs]
    time = np.asarray(records[True].state.time)
    for partial_obs, hides in ((True, True), (False, False)):
        frames = np.asarray(records[partial_obs].obs)[time == 2]
        bits = context[time == 2]
        assert bits.any() and not bits.all()
        same = np.array_equal(frames[bits][0], frames[~bits][0])
        assert same == hides  # at t = 2 only the MDP frame still shows the bit


def test_bad_sizes_are_clear_errors():
    with pytest.raises(ValueError, match="memory_length must be at least 1"):
        make_memory_chain(0)
    with pytest.raises(ValueError, match="num_bits must be at least 1"):
        make_memory_chain(4, num_bits=0)
