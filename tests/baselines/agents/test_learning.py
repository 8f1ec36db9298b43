"""PQN and PPO learn probe tasks with known answers, in seconds on CPU."""

import functools

import jax
import numpy as np
import pytest

from baselines.agents import ppo, pqn
from baselines.agents.config import PPOConfig, PQNConfig
from popgym_arcade_twins.tasks.probes import make_probe
from tests.compiling import jit

SMALL = {"hidden_size": 32, "num_envs": 32, "rollout_steps": 16, "num_minibatches": 2}
PQN = PQNConfig(learning_rate=1e-3, **SMALL)
PPO = PPOConfig(learning_rate=3e-3, **SMALL)


def _train(module, config, task, updates, partial_obs=False, seeds=1, **changes):
    env, params = make_probe(task, partial_obs=partial_obs)
    config = config.replace(total_steps=updates * config.steps_per_update, **changes)
    trainer = module.make_train(config, env, params)
    keys = jax.random.split(jax.random.key(0), seeds)
    level = 1 if updates >= 50 else 0  # optimise only the runs that last for seconds
    _, metrics = jit(jax.vmap(trainer.train), level=level)(keys)
    return {k: np.asarray(v) for k, v in metrics.items()}  # [seeds, updates]


def _late(metrics, name="episode_return", last=10) -> np.ndarray:
    """Per seed, the mean of `name` over the last `last` updates."""
    return np.nanmean(metrics[name][:, -last:], axis=1)


def _final(metrics, name="episode_return", last=10):
    return float(np.mean(_late(metrics, name, last)))


@functools.cache
def _colour(module, config):
    """Two seeds of a memoryless agent on the colour probe, trained once for the tests below."""
    return _train(module, config, "colour", updates=100, seeds=2, memory="none")


@pytest.mark.parametrize(("module", "config"), [(pqn, PQN), (ppo, PPO)])
def test_reward_given_by_the_frame_is_learned_by_each_vmapped_seed(module, config):
    metrics = _colour(module, config)
    assert np.all(np.isfinite(metrics["loss"]))
    assert not np.allclose(metrics["loss"][0], metrics["loss"][1])  # two runs, not one twice
    late = _late(metrics)
    assert np.all(late > 0.85), late  # PQN keeps 5% random actions


def test_ppo_policy_entropy_starts_uniform_and_falls_as_the_probe_is_learned():
    entropy = _colour(ppo, PPO)["policy_entropy"]  # [seeds, updates]
    uniform = np.log(make_probe("colour")[0].num_actions)
    np.testing.assert_allclose(entropy[:, 0], uniform, atol=0.05)
    assert np.all(np.mean(entropy[:, -10:], axis=1) < 0.5 * uniform)


@pytest.mark.slow
def test_pqn_bootstraps_truncations():
    # 4-step episodes of reward 1, all truncated: with bootstrapping the value tends to
    # 1 / (1 - 0.9) = 10; treating truncation as termination caps it at 1 + .9 + .81 + .729 = 3.44.
    # Unscaled rewards: with PQN's default reward_scale the value would have to reach 100 in
    # 150 updates of clipped gradients.
    metrics = _train(pqn, PQN, "constant", updates=150, gamma=0.9, memory="gru", reward_scale=1.0)
    value = _final(metrics, "value")
    assert 3.44 + 1 < value <= 10.5


@pytest.mark.slow
def test_ppo_values_reach_one_over_one_minus_gamma():
    value = _final(_train(ppo, PPO, "constant", updates=150, gamma=0.9, memory="gru"), "value")
    assert value == pytest.approx(10.0, abs=1.0)


@pytest.mark.slow
@pytest.mark.parametrize(("module", "config"), [(pqn, PQN), (ppo, PPO)])
def test_one_bit_memory_is_solved_only_with_memory(module, config):
    remembered = _final(
        _train(module, config, "one_bit", updates=150, partial_obs=True, memory="gru")
    )
    forgotten = _final(
        _train(module, config, "one_bit", updates=150, partial_obs=True, memory="none")
    )
    assert remembered > 0.8 and abs(forgotten) < 0.3
