"""Lambda-returns, GAE and minibatching against hand-computed examples."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from baselines.agents.common import env_minibatches, gae, lambda_returns

REWARDS = jnp.array([[1.0], [2.0], [3.0]])
VALUES = jnp.array([[10.0], [20.0], [30.0]])
NEXT_VALUE = jnp.array([40.0])
FINAL = jnp.array([[0.0], [0.0], [100.0]])
NONE = jnp.zeros((3, 1), bool)
# the episode terminates at step 1; the next one is truncated at step 2 (final value 100)
TERMINATED = jnp.array([[False], [True], [False]])
TRUNCATED = jnp.array([[False], [False], [True]])


def test_lambda_returns_without_episode_ends():
    # G2 = 3 + .5 (.5*40 + .5*40) = 23; G1 = 2 + .5 (.5*30 + .5*23) = 15.25;
    # G0 = 1 + .5 (.5*20 + .5*15.25) = 9.8125
    returns = lambda_returns(REWARDS, VALUES, NEXT_VALUE, NONE, NONE, FINAL, 0.5, 0.5)
    np.testing.assert_allclose(returns[:, 0], [9.8125, 15.25, 23.0])


def test_lambda_returns_stop_at_termination_and_bootstrap_truncation():
    # G2 = 3 + .5*100 (final value); G1 = 2 (terminated); G0 = 1 + .5 (.5*20 + .5*2)
    returns = lambda_returns(REWARDS, VALUES, NEXT_VALUE, TERMINATED, TRUNCATED, FINAL, 0.5, 0.5)
    np.testing.assert_allclose(returns[:, 0], [6.5, 2.0, 53.0])


def test_lambda_zero_and_one():
    one_step = lambda_returns(REWARDS, VALUES, NEXT_VALUE, NONE, NONE, FINAL, 0.5, 0.0)
    np.testing.assert_allclose(one_step[:, 0], [1 + 10, 2 + 15, 3 + 20])
    monte_carlo = lambda_returns(REWARDS, VALUES, NEXT_VALUE, NONE, NONE, FINAL, 0.5, 1.0)
    np.testing.assert_allclose(
        monte_carlo[:, 0], [1 + 0.5 * 2 + 0.25 * 3 + 0.125 * 40, 2 + 1.5 + 10, 3 + 20]
    )


def test_gae_with_termination_and_truncation():
    # deltas: d2 = 3 + .5*100 - 30 = 23; d1 = 2 - 20 = -18; d0 = 1 + .5*20 - 10 = 1
    advantages, targets = gae(REWARDS, VALUES, NEXT_VALUE, TERMINATED, TRUNCATED, FINAL, 0.5, 0.5)
    np.testing.assert_allclose(advantages[:, 0], [1 + 0.25 * -18, -18.0, 23.0])
    np.testing.assert_allclose(targets[:, 0], [6.5, 2.0, 53.0])  # = the lambda-returns


def test_gae_targets_equal_lambda_returns():
    key = jax.random.key(0)
    rewards, values, final = (jax.random.normal(k, (7, 3)) for k in jax.random.split(key, 3))
    terminated = jax.random.bernoulli(jax.random.key(1), 0.2, (7, 3))
    truncated = jax.random.bernoulli(jax.random.key(2), 0.2, (7, 3)) & ~terminated
    args = (rewards, values, jnp.ones(3), terminated, truncated, final, 0.9, 0.7)
    np.testing.assert_allclose(gae(*args)[1], lambda_returns(*args), rtol=1e-5, atol=1e-5)


def test_env_minibatches_keep_streams_whole():
    tape = {"x": jnp.arange(3 * 4).reshape(3, 4)}  # x[t, b] = 4 t + b
    carry = jnp.arange(4) * 100
    (tapes, carries) = env_minibatches(jax.random.key(0), tape, carry, 2)
    assert tapes["x"].shape == (2, 3, 2) and carries.shape == (2, 2)
    for m in range(2):
        envs = np.asarray(carries[m]) // 100
        np.testing.assert_array_equal(tapes["x"][m], 4 * np.arange(3)[:, None] + envs[None])
    assert sorted(np.asarray(carries).ravel().tolist()) == [0, 100, 200, 300]
    with pytest.raises(ValueError, match="do not split"):
        env_minibatches(jax.random.key(0), tape, carry, 3)
