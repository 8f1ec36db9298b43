"""PQN's diagnostics and targets on hand-worked cases."""

import jax.numpy as jnp
import numpy as np
import pytest

from baselines.agents.common import lambda_returns, q_diagnostics


def test_q_diagnostics_by_hand():
    q = jnp.asarray([[1.0, 3.0, 2.0], [0.0, -1.0, 0.5], [4.0, 0.0, 1.0], [0.0, 2.0, 1.0]])
    action = jnp.asarray([1, 0, 2, 1])
    targets = jnp.asarray([2.0, 4.0, 0.0, 2.0])
    diagnostics = q_diagnostics(q, action, targets)
    assert diagnostics["q_taken"] == pytest.approx((3 + 0 + 1 + 2) / 4)
    assert diagnostics["q_target"] == pytest.approx(2.0)
    assert diagnostics["q_margin"] == pytest.approx((1 + 0.5 + 3 + 1) / 4)
    assert diagnostics["greedy_mode_share"] == pytest.approx(2 / 4)  # greedy: 1, 2, 0, 1


def test_scaled_rewards_scale_the_targets_of_scaled_values():
    # Q(lambda) is linear in (rewards, values): scaling both by c scales every target by c.
    rewards = jnp.asarray([[1.0], [0.0], [2.0]])
    values = jnp.asarray([[0.5], [1.5], [-1.0]])
    flags = jnp.zeros((3, 1), bool)
    truncated, final = flags.at[2].set(True), jnp.asarray([[0.0], [0.0], [3.0]])
    base = lambda_returns(rewards, values, jnp.asarray([7.0]), flags, truncated, final, 0.9, 0.5)
    scaled = lambda_returns(
        10 * rewards, 10 * values, jnp.asarray([70.0]), flags, truncated, 10 * final, 0.9, 0.5
    )
    np.testing.assert_allclose(scaled, 10 * base, rtol=1e-6)
    # by hand: G2 = 2 + .9 * 3 (truncated: the final value), G1 = 0 + .9 (.5 * -1 + .5 * G2),
    # G0 = 1 + .9 (.5 * 1.5 + .5 * G1)
    g2 = 2 + 0.9 * 3
    g1 = 0.9 * (0.5 * -1 + 0.5 * g2)
    g0 = 1 + 0.9 * (0.5 * 1.5 + 0.5 * g1)
    np.testing.assert_allclose(base[:, 0], [g0, g1, g2], rtol=1e-6)
