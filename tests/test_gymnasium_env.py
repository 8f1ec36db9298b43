"""The gymnasium adapters: gymnasium's own env checker, an episode through each, autoreset."""

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

from popgym_arcade_twins.core import LEFT, RIGHT  # noqa: E402
from popgym_arcade_twins.gymnasium_env import GymnasiumEnv, GymnasiumVectorEnv  # noqa: E402


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


def test_vector_env_autoresets_in_the_same_step_with_final_obs():
    envs = GymnasiumVectorEnv("SkittlesEasy", num_envs=3, obs_size=64, max_steps_in_episode=4)
    assert envs.metadata["autoreset_mode"] == gymnasium.vector.AutoresetMode.SAME_STEP
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
