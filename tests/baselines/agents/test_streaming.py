"""The streaming agent: its safeguards, and exact RTRL learning MemoryChain 8 where TBPTT(1) does
not within the same short run."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from baselines.agents import streaming
from baselines.agents.config import StreamQConfig
from baselines.agents.safeguards import RunningStats, obgd, scale_reward
from popgym_arcade_twins.tasks.memory_chain import make_memory_chain
from tests.compiling import jit


def test_running_stats_match_numpy_and_normalize():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((50, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]).astype(np.float32)
    stats = jax.lax.scan(lambda s, v: (s.add(v), None), RunningStats.create((3,)), x)[0]
    np.testing.assert_allclose(stats.mean, x.mean(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(stats.variance, x.var(0, ddof=1), rtol=1e-4)
    normalized = np.asarray(stats.normalize(x))
    np.testing.assert_allclose(normalized.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(normalized.std(0, ddof=1), 1.0, rtol=1e-4)


def test_reward_scaling_divides_by_the_spread_of_the_discounted_return():
    rewards = np.array([1.0, 0.0, 2.0, 1.0, -1.0, 3.0], np.float32)
    done = np.array([False, False, True, False, False, False])
    gamma, u, seen, expected = 0.5, 0.0, [], []
    for r, d in zip(rewards, done, strict=True):
        u = gamma * u + r
        seen.append(u)
        expected.append(r / np.sqrt((np.var(seen, ddof=1) if len(seen) > 1 else 1.0) + 1e-8))
        u = 0.0 if d else u

    def body(carry, inputs):
        stats, u = carry
        scaled, stats, u = scale_reward(stats, u, *inputs, gamma)
        return (stats, u), scaled

    _, scaled = jax.lax.scan(body, (RunningStats.create(), jnp.zeros(())), (rewards, done))
    np.testing.assert_allclose(scaled, expected, rtol=1e-5)


def test_obgd_moves_a_linear_prediction_toward_its_target_without_overshooting():
    """For q = w . x the gradient is x. A plain step of size 1 on this large input would jump
    past the target; ObGD's bounded step lands short of it, on the same side."""
    x = np.full(100, 3.0, np.float32)
    weights, target = np.zeros(100, np.float32), 5.0
    error = target - weights @ x
    assert target - (weights + error * x) @ x < 0  # the unbounded step overshoots
    new_error = target - np.asarray(obgd(weights, x, error, learning_rate=1.0, kappa=2.0)) @ x
    assert 0 < new_error < error
    small = np.full(100, 1e-4, np.float32)  # bound inactive: a plain step of size 0.5
    np.testing.assert_allclose(obgd(weights, small, 2.0, 0.5, 2.0), 0.5 * 2.0 * small)


@pytest.mark.slow
def test_rtrl_learns_memory_chain_8_where_tbptt1_does_not():
    """Chain length 8, 40k steps per agent, 8 agents paired by seed (same initial parameters and
    exploration) for the two gradients. The RTU starts with a short memory (|lambda| <= 0.7, so
    at most 0.7^7 < 0.1 of the context is left at the query): it must learn to hold the bit.
    RTRL agents answer >= 90% right (chance is 50%); most TBPTT(1) agents stay below. With the
    default ring init (|lambda| up to 1) a random RTU already holds the bit over 8 steps and
    TBPTT(1) solves length 8 as well (scripts/bench_streaming.py has both over lengths)."""
    env, params = make_memory_chain(8)
    keys = jax.random.split(jax.random.key(0), 8)
    success = {}
    for gradient in ("rtrl", "tbptt1"):
        config = StreamQConfig(
            gradient=gradient,
            hidden_size=16,
            rtu_r_max=0.7,
            total_steps=40_000,
            steps_per_update=2_000,
        )
        trainer = streaming.make_train(config, env, params)
        _, metrics = jit(jax.vmap(trainer.train), level=1)(keys)
        returns = np.asarray(metrics["episode_return"])[:, -2:].mean(1)  # the last tenth
        success[gradient] = (returns + 1) / 2
    assert np.mean(success["rtrl"]) >= 0.9 and np.sum(success["rtrl"] >= 0.9) >= 7, success
    assert np.mean(success["tbptt1"]) < 0.8 and np.sum(success["tbptt1"] < 0.9) >= 4, success
