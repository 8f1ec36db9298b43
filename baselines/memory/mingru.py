"""MinGRU (Feng et al. 2024; docs/models.md §3) with the log-space parallel form.

z_t = sigmoid(W_z x_t + b_z), h~_t = g(W_h x_t + b_h) > 0, h_t = (1 - z_t) h_{t-1} + z_t h~_t,
y_t = h_t, h float32[*batch, hidden]. Neither gate reads h_{t-1}, so the update is associative.
Elements are logs (d, l) = (log(1 - z), log(z h~)), combined as
(d_i + d_j, logaddexp(d_j + l_i, l_j)); the carry stays in linear space, so no -inf appears.
"""

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, Element, Memoroid


def log_g(x: jax.Array) -> jax.Array:
    """log g(x), g(x) = x + 1/2 for x >= 0 else sigmoid(x): continuous and positive."""
    return jnp.where(x >= 0, jnp.log(jax.nn.relu(x) + 0.5), -jax.nn.softplus(-x))


class MinGRU(Memoroid):
    def setup(self) -> None:
        self.gate = nn.Dense(self.hidden_size)
        self.candidate = nn.Dense(self.hidden_size)

    @nn.nowrap
    def initialize_carry(self, batch_shape: Sequence[int]) -> Carry:
        return jnp.zeros((*batch_shape, self.hidden_size))

    def element(self, features: Any) -> Element:
        k = self.gate(features)
        return -jax.nn.softplus(k), -jax.nn.softplus(-k) + log_g(self.candidate(features))

    @staticmethod
    def combine(left: Element, right: Element) -> Element:
        (d_left, l_left), (d_right, l_right) = left, right
        return d_left + d_right, jnp.logaddexp(d_right + l_left, l_right)

    @staticmethod
    def absorb(carry: Carry, element: Element) -> Carry:
        log_decay, log_input = element
        return jnp.exp(log_decay) * carry + jnp.exp(log_input)

    def readout(self, carry: Carry, features: Any) -> jax.Array:
        return carry
