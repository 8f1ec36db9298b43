"""The twin env's gymnax semantics: step tuple, auto-reset, truncation, info, wrappers, and one
rule for out-of-range actions in every game."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.envs import GAMES
from popgym_arcade_twins.envs.count_recall import State
from popgym_arcade_twins.testing import FAST_COMPILE
from popgym_arcade_twins.wrappers import LegacyStepWrapper, LogWrapper, ObservationNoise


def _count_recall(num_cards=3, **kwargs):
    return pat.make("CountRecallEasy", obs_size=64, num_cards=num_cards, **kwargs)


def test_step_returns_the_gymnax_six_tuple():
    env, params = _count_recall()
    obs, state = env.reset(jax.random.key(0), params)
    obs, state, reward, terminated, truncated, info = env.step(jax.random.key(1), state, 0, params)
    assert obs.shape == (64, 64, 3) and obs.dtype == jnp.uint8
    assert reward.dtype == jnp.float32 and terminated.dtype == truncated.dtype == jnp.bool_
    assert {"terminated", "truncated", "final_state", "final_observation"} <= set(info)


def test_truncation_at_the_time_limit_then_auto_reset():
    env, params = _count_recall(max_steps_in_episode=3)
    _, state = env.reset(jax.random.key(0), params)
    flags = []
    for t in range(3):
        _, state, _, terminated, truncated, info = env.step(
            jax.random.key(t), state, pat.core.UP, params
        )
        flags.append((bool(terminated), bool(truncated)))
    assert flags == [(False, False), (False, False), (False, True)]
    assert int(state.time) == 0 and int(info["final_state"].time) == 3
    assert int(state.counter) == 0 and int(info["final_state"].counter) == 3


def test_termination_is_not_also_truncation_and_final_observation_is_the_final_state():
    env, params = _count_recall(num_cards=1, max_steps_in_episode=1)
    _, state = env.reset(jax.random.key(0), params)
    obs, state, reward, terminated, truncated, info = env.step(
        jax.random.key(1), state, pat.core.FIRE, params
    )
    assert bool(terminated) and not bool(truncated)
    assert np.array_equal(info["final_observation"], env.draw(info["final_state"]))
    assert np.array_equal(obs, env.draw(state))


def test_step_compiles_once():
    env, params = _count_recall()
    step = jax.jit(env.step)
    _, state = env.reset(jax.random.key(0), params)
    for t in range(3):
        _, state, *_ = step(jax.random.key(t), state, t % 5, params)
    assert step._cache_size() == 1


def test_observability_is_read_only_by_drawing():
    mdp, pomdp, params = pat.make_twins("CountRecallEasy", obs_size=64)
    _, state = mdp.reset(jax.random.key(0), params)
    (mdp_obs, *mdp_rest), (pomdp_obs, *pomdp_rest) = (
        env.step(jax.random.key(1), state, pat.core.FIRE, params) for env in (mdp, pomdp)
    )
    mdp_rest[-1], pomdp_rest[-1] = mdp_rest[-1]["final_state"], pomdp_rest[-1]["final_state"]
    assert all(jax.tree.leaves(jax.tree.map(jnp.array_equal, mdp_rest, pomdp_rest)))
    assert not np.array_equal(mdp_obs, pomdp_obs)  # the MDP shows the dealt cards


def test_log_wrapper_reports_finished_episodes():
    env, params = _count_recall(max_steps_in_episode=2)
    env = LogWrapper(env)
    _, state = env.reset(jax.random.key(0), params)
    infos = []
    for t in range(4):
        _, state, reward, _, _, info = env.step(jax.random.key(t), state, pat.core.UP, params)
        infos.append(info)
    assert [bool(i["returned_episode"]) for i in infos] == [False, True, False, True]
    assert [int(i["returned_episode_length"]) for i in infos] == [0, 2, 2, 2]
    assert env.obs_size == 64  # attributes pass through


def test_legacy_wrapper_returns_five_tuple():
    env, params = _count_recall(max_steps_in_episode=1)
    env = LegacyStepWrapper(env)
    _, state = env.reset(jax.random.key(0), params)
    result = env.step(jax.random.key(1), state, 0, params)
    assert len(result) == 5 and bool(result[3]) and bool(result[4]["truncated"])


@pytest.mark.parametrize("probability", [0.0, 0.5, 1.0])
def test_observation_noise_changes_frames_only(probability):
    env, params = _count_recall()
    noisy = ObservationNoise(env, probability)
    obs, state = env.reset(jax.random.key(0), params)
    noisy_obs, noisy_state = noisy.reset(jax.random.key(0), params)
    noised = []
    for t in range(1, 40):
        key = jax.random.key(t)
        obs, state, reward, terminated, truncated, _ = env.step(key, state, t % 5, params)
        out = noisy.step(key, noisy_state, t % 5, params)
        noisy_obs, noisy_state, info = out[0], out[1], out[5]
        assert out[2:5] == (reward, terminated, truncated)
        jax.tree.map(np.testing.assert_array_equal, noisy_state, state)
        assert bool(info["observation_noised"]) == bool(np.any(noisy_obs != obs))
        noised.append(bool(info["observation_noised"]))
    assert noisy_obs.dtype == np.uint8 and noisy_obs.shape == obs.shape
    assert np.mean(noised) == pytest.approx(probability, abs=0.2)


def test_observation_noise_rejects_bad_probability():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ObservationNoise(_count_recall()[0], 1.5)


def test_hand_built_state_is_accepted():
    env, params = _count_recall()
    state = State(
        dealt=jnp.array([0, 1, 0]),
        queries=jnp.array([0, 0, 1]),
        position=jnp.int32(0),
        counter=jnp.int32(1),
        num_correct=jnp.int32(0),
        time=jnp.int32(0),
    )
    _, _, reward, *_ = env.step(jax.random.key(0), state, pat.core.FIRE, params)
    assert float(reward) == np.float32(1 / 3)


@pytest.mark.parametrize("game", [game.name for game in GAMES])
def test_every_game_treats_an_out_of_range_action_as_a_no_op(game):
    """Negative, too large, fractional or NaN actions all step like `NO_OP` from a state reached
    by a few random steps (before, a float was truncated: -0.5 acted as UP, 4.5 as FIRE)."""
    env, params = pat.make(f"{game}Easy", obs_size=64)
    ints = jnp.asarray([-1, 5, 7, -7, 2**31 - 1], jnp.int32)
    floats = jnp.asarray([-0.5, 4.5, 0.5, jnp.nan, jnp.inf, 5.0], jnp.float32)

    def steps(key):
        _, state = env.reset(key, params)

        def random_step(state, key):
            action = jax.random.randint(key, (), 0, pat.core.NUM_ACTIONS)
            return env.step(key, state, action, params)[1], None

        state, _ = jax.lax.scan(random_step, state, jax.random.split(key, 6))
        step = lambda action: env.step(key, state, action, params)[1:4]  # state, reward, done
        return step(pat.core.NO_OP), jax.vmap(step)(ints), jax.vmap(step)(floats)

    compiled = jax.jit(steps).lower(jax.random.key(0)).compile(FAST_COMPILE)
    for seed in range(2):
        no_op, *others = compiled(jax.random.key(seed))
        for batch in others:
            same = jax.tree.map(lambda a, b: bool(jnp.all(a == b)), no_op, batch)
            assert all(jax.tree.leaves(same)), f"{game}, seed {seed}: {same}"


def test_whole_float_actions_are_the_integer_actions():
    assert pat.core.valid_action(4.0) == pat.core.FIRE
    assert pat.core.valid_action(jnp.float32(0.0)) == pat.core.UP
    assert pat.core.valid_action(3) == pat.core.RIGHT
