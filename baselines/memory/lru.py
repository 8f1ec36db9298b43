"""LRU, the Linear Recurrent Unit (Orvieto et al. 2023; docs/models.md §4), after an input
projection.

u_t = W x_t + c (d_in -> hidden), h_t = lambda * h_{t-1} + gamma * (B u_t),
y_t = Re(C h_t) + D * u_t, with B, C complex and h complex64[*batch, state_size].
"""

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, Element
from baselines.memory.diagonal import DiagonalRecurrence, decay_element


class LRU(DiagonalRecurrence):
    """`state_size` defaults to `hidden_size`; trainable gamma starts at sqrt(1 - |lambda|^2)."""

    state_size: int | None = None

    @nn.nowrap
    def num_states(self) -> int:
        return self.state_size or self.hidden_size

    def setup(self) -> None:
        n, h = self.num_states(), self.hidden_size
        self.encoder = nn.Dense(h)
        self.nu, self.theta_log = self.ring_parameters()
        nu = self.nu
        self.gamma_log = self.param(
            "gamma_log", lambda _: 0.5 * jnp.log(-jnp.expm1(-2 * jnp.exp(nu)))
        )
        b_init = nn.initializers.normal(1 / math.sqrt(2 * h))
        c_init = nn.initializers.normal(1 / math.sqrt(n))
        self.b_re, self.b_im = (self.param(f"B_{part}", b_init, (n, h)) for part in ("re", "im"))
        self.c_re, self.c_im = (self.param(f"C_{part}", c_init, (h, n)) for part in ("re", "im"))
        self.d = self.param("D", nn.initializers.normal(1.0), (h,))

    def features(self, x: jax.Array) -> jax.Array:
        return self.encoder(x)

    def element(self, features: Any) -> Element:
        # Real matmuls: half the work of promoting u to complex.
        b = jnp.exp(self.gamma_log) * (features @ self.b_re.T + 1j * (features @ self.b_im.T))
        return decay_element(self.nu, self.theta_log, b)

    def readout(self, carry: Carry, features: Any) -> jax.Array:
        return carry.real @ self.c_re.T - carry.imag @ self.c_im.T + self.d * features
