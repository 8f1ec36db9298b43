"""The safeguards streaming RL relies on (Elsayed, Vasan & Mahmood 2024, "Streaming deep RL
finally works"), as small pure functions: running normalization of observations, reward scaling
by the spread of the discounted return, and ObGD, a step whose size is bounded so that one update
cannot overshoot the TD target.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

EPSILON = 1e-8


@struct.dataclass
class RunningStats:
    """Welford's running mean and variance of a stream of arrays of one shape."""

    count: jax.Array  # float32: samples seen
    mean: jax.Array  # float32[*shape]
    m2: jax.Array  # float32[*shape]: sum of squared deviations from the mean

    @classmethod
    def create(cls, shape: tuple[int, ...] = ()) -> RunningStats:
        return cls(jnp.zeros(()), jnp.zeros(shape), jnp.zeros(shape))

    @property
    def variance(self) -> jax.Array:
        """The sample variance; 1 until two samples are in."""
        return jnp.where(self.count >= 2, self.m2 / jnp.maximum(self.count - 1, 1), 1.0)

    def add(self, x: jax.Array) -> RunningStats:
        count = self.count + 1
        delta = x - self.mean
        mean = self.mean + delta / count
        return RunningStats(count, mean, self.m2 + delta * (x - mean))

    def normalize(self, x: jax.Array) -> jax.Array:
        return (x - self.mean) / jnp.sqrt(self.variance + EPSILON)


def scale_reward(
    stats: RunningStats,
    discounted: jax.Array,
    reward: jax.Array,
    done: jax.Array,
    gamma: float,
) -> tuple[jax.Array, RunningStats, jax.Array]:
    """Divide the reward by the running standard deviation of the discounted return
    u = gamma u + r (u restarts after an episode ends; the mean is not subtracted, so the sign
    of a reward is kept). Returns (scaled reward, stats, u for the next step)."""
    discounted = gamma * discounted + reward
    stats = stats.add(discounted)
    scaled = reward / jnp.sqrt(stats.variance + EPSILON)
    return scaled, stats, jnp.where(done, 0.0, discounted)


def obgd(params: Any, trace: Any, td_error: jax.Array, learning_rate: float, kappa: float) -> Any:
    """ObGD: params + step * td_error * trace, with the step size learning_rate shrunk to
    learning_rate / M whenever M = learning_rate * kappa * max(|td_error|, 1) * ||trace||_1 > 1."""
    trace_norm = sum(jnp.sum(jnp.abs(z)) for z in jax.tree.leaves(trace))
    bound = learning_rate * kappa * jnp.maximum(jnp.abs(td_error), 1.0) * trace_norm
    step = learning_rate / jnp.maximum(bound, 1.0)
    return jax.tree.map(lambda p, z: p + step * td_error * z, params, trace)
