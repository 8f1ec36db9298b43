"""The gymnasium adapters: gymnasium's env checker, registration, both autoreset modes, seeding,
writable arrays, action checks and gymnasium's own vector wrappers on the vector env."""

import dataclasses

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402
from gymnasium.vector import AutoresetMode  # noqa: E402
from gymnasium.wrappers import vector as vector_wrappers  # noqa: E402

import popgym_arcade_twins as pat  # noqa: E402
from popgym_arcade_twins.core import LEFT, RIGHT  # noqa: E402
from popgym_arcade_twins.envs import skittles  # noqa: E402
from popgym_arcade_twins.gymnasium_env import GymnasiumEnv, GymnasiumVectorEnv  # noqa: E402
from popgym_arcade_twins.registry import gymnasium_id  # noqa: E402

SKITTLES = "popgym_arcade_twins/SkittlesEasy-v1"


def _vector(num_envs=3, **kwargs):
    return GymnasiumVectorEnv(
        "SkittlesEasy", num_envs=num_envs, obs_size=64, max_steps_in_episode=4, **kwargs
    )


def test_single_env_passes_gymnasiums_checker():
    check_env(GymnasiumEnv("SkittlesEasy", partial_obs=True, obs_size=64), skip_render_check=True)


def test_single_env_runs_an_episode_and_stops_at_its_end():
    env = GymnasiumEnv("SkittlesEasy", obs_size=64, max_steps_in_episode=5, render_mode="rgb_array")
    obs, info = env.reset(seed=3)
    assert obs.shape == (64, 64, 3) and obs.dtype == np.uint8 and info == {}
    assert np.array_equal(obs, env.reset(seed=3)[0])
    total, flags = 0.0, []
    for action in (LEFT, RIGHT, LEFT, RIGHT, LEFT):
        obs, reward, terminated, truncated, _ = env.step(action)
        total += reward
        flags.append((terminated, truncated))
    assert flags[-1] == (False, True) and not any(any(f) for f in flags[:-1])
    assert total == pytest.approx(0.05)  # an empty board cannot kill within 5 steps
    assert int(env._state.time) == 5  # no auto-reset: the final state stays for the caller
    assert np.array_equal(env.render(), obs) and env.observation_space.contains(obs)
    assert obs.flags.writeable


def test_every_id_is_registered_with_gymnasium_under_its_namespace():
    assert gymnasium_id("CartPoleEasy") == "popgym_arcade_twins/CartPoleEasy-v1"
    for env_id in pat.registered_envs():
        spec = gymnasium.spec(gymnasium_id(env_id))
        assert spec.namespace == "popgym_arcade_twins" and spec.version == 1
        assert spec.kwargs == {"env_id": f"{env_id}-v1"}  # a gymnasium id names one version


def test_gymnasium_make_and_make_vec():
    env = gymnasium.make(SKITTLES, partial_obs=True, obs_size=64)
    assert isinstance(env.unwrapped, GymnasiumEnv) and env.unwrapped.env.partial_obs
    obs, _ = env.reset(seed=0)
    assert env.step(LEFT)[0].shape == obs.shape == (64, 64, 3)
    envs = gymnasium.make_vec(SKITTLES, num_envs=2, obs_size=64)
    assert isinstance(envs, GymnasiumVectorEnv)
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert envs.reset(seed=0)[0].shape == (2, 64, 64, 3)
    same_step = gymnasium.make_vec(
        SKITTLES, num_envs=2, obs_size=64, autoreset_mode=AutoresetMode.SAME_STEP
    )
    assert same_step.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP


def test_ids_registered_at_run_time_reach_gymnasium():
    game = dataclasses.replace(skittles.GAME, name="SkittlesGym")
    assert pat.register(game, presets={"Tiny": {"max_steps_in_episode": 3}}) == ["SkittlesGymTiny"]
    env = gymnasium.make(gymnasium_id("SkittlesGymTiny"), obs_size=64)
    env.reset(seed=0)
    assert [env.step(LEFT)[3] for _ in range(3)] == [False, False, True]


def test_vector_env_autoresets_in_the_same_step_with_final_obs():
    envs = _vector(autoreset_mode=AutoresetMode.SAME_STEP)
    assert envs.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (3, 64, 64, 3) and envs.observation_space.contains(obs)
    envs.action_space.seed(0)
    for t in range(4):
        obs, reward, terminated, truncated, info = envs.step(envs.action_space.sample())
        assert reward.shape == (3,) and np.allclose(reward, 0.01)
        assert not terminated.any() and truncated.all() == (t == 3)
        assert ("final_obs" in info) == (t == 3)
    assert info["_final_obs"].all()
    for i in range(3):
        assert info["final_obs"][i].shape == (64, 64, 3)
        assert not np.array_equal(info["final_obs"][i], obs[i])  # obs is the next episode's
    assert np.array_equal(envs.reset(seed=0)[0], envs.reset(seed=0)[0])


def test_vector_env_autoresets_at_the_next_step():
    envs = _vector()
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    first, _ = envs.reset(seed=0)
    for _ in range(4):
        obs, reward, terminated, truncated, info = envs.step([LEFT] * 3)
    assert truncated.all() and not terminated.any() and info == {}
    assert np.allclose(reward, 0.01)
    last = obs  # the frame the episode ended on
    obs, reward, terminated, truncated, _ = envs.step([RIGHT] * 3)  # the reset step
    assert not (terminated | truncated).any() and (reward == 0).all()
    assert not np.array_equal(obs, last)
    obs, reward, terminated, truncated, _ = envs.step([RIGHT] * 3)  # the new episode's first step
    assert np.allclose(reward, 0.01) and not (terminated | truncated).any()


def test_vector_env_i_plays_as_a_single_env_with_seed_i():
    envs = _vector(num_envs=2)
    singles = [GymnasiumEnv("SkittlesEasy", obs_size=64, max_steps_in_episode=4) for _ in range(2)]
    obs, _ = envs.reset(seed=[3, 11])
    expected = [single.reset(seed=s)[0] for single, s in zip(singles, (3, 11), strict=True)]
    np.testing.assert_array_equal(obs, np.stack(expected))
    rng = np.random.default_rng(0)
    ended = [False, False]
    for _ in range(11):  # two episodes of 4 steps and the reset steps between them
        actions = rng.integers(0, pat.NUM_ACTIONS, 2)
        obs, reward, terminated, truncated, _ = envs.step(actions)
        for i, single in enumerate(singles):
            if ended[i]:
                single_obs, single_reward, flags = single.reset()[0], 0.0, (False, False)
            else:
                single_obs, single_reward, *flags, _ = single.step(actions[i])
            np.testing.assert_array_equal(obs[i], single_obs)
            assert reward[i] == pytest.approx(single_reward)
            assert (terminated[i], truncated[i]) == tuple(flags)
            ended[i] = any(flags)


def test_vector_env_seeds():
    envs = _vector()
    from_int = envs.reset(seed=5)[0]
    np.testing.assert_array_equal(envs.reset(seed=[5, 6, 7])[0], from_int)
    mixed = envs.reset(seed=[5, None, 7])[0]
    np.testing.assert_array_equal(mixed[[0, 2]], from_int[[0, 2]])
    with pytest.raises(ValueError, match="3 seeds"):
        envs.reset(seed=[1, 2])


def test_arrays_returned_are_writable():
    envs = _vector()
    obs, _ = envs.reset(seed=0)
    step = envs.step([LEFT] * 3)
    for array in (obs, *step[:4]):
        assert isinstance(array, np.ndarray) and array.flags.writeable


def test_out_of_range_actions_raise_a_clear_error():
    env = GymnasiumEnv("SkittlesEasy", obs_size=64)
    env.reset(seed=0)
    for bad in (5, -1, 1.0, [1]):
        with pytest.raises(ValueError, match=r"\[0, 4\]"):
            env.step(bad)
    envs = _vector()
    envs.reset(seed=0)
    for bad in ([0, 5, 1], [0, 1], [[0, 1, 2]]):
        with pytest.raises(ValueError, match=r"3 integers \(one per env\) in \[0, 4\]"):
            envs.step(bad)


def _resize(envs):
    pytest.importorskip("cv2", reason="ResizeObservation needs opencv (the clients extra)")
    return vector_wrappers.ResizeObservation(envs, (32, 32))


VECTOR_WRAPPERS = {
    "TransformObservation": (
        lambda e: vector_wrappers.TransformObservation(e, lambda o: o // 2),
        (64, 64, 3),
    ),
    "GrayscaleObservation": (vector_wrappers.GrayscaleObservation, (64, 64)),
    "ResizeObservation": (_resize, (32, 32, 3)),
    "FlattenObservation": (vector_wrappers.FlattenObservation, (64 * 64 * 3,)),
    "ReshapeObservation": (lambda e: vector_wrappers.ReshapeObservation(e, (64, 192)), (64, 192)),
    "DtypeObservation": (lambda e: vector_wrappers.DtypeObservation(e, np.float32), (64, 64, 3)),
    "NormalizeObservation": (vector_wrappers.NormalizeObservation, (64, 64, 3)),
}


@pytest.mark.parametrize("name", VECTOR_WRAPPERS)
def test_gymnasium_vector_observation_wrappers(name):
    wrap, single_shape = VECTOR_WRAPPERS[name]
    envs = wrap(_vector())
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (3, *single_shape) and envs.observation_space.contains(obs)
    for _ in range(5):  # through an episode's end and the reset step
        obs, *_ = envs.step([LEFT] * 3)
        assert obs.shape == (3, *single_shape)


def test_gymnasium_clip_reward():
    envs = vector_wrappers.ClipReward(_vector(), 0.0, 0.004)
    envs.reset(seed=0)
    reward = envs.step([LEFT] * 3)[1]
    np.testing.assert_allclose(reward, 0.004)
