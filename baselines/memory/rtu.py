"""Linear RTU, the Recurrent Trace Unit (Elelimy et al. 2024; MODELS.md §1), in complex form.

n = hidden_size / 2 units; h = c1 + i c2 complex64[*batch, n];
h_t = lambda * h_{t-1} + gamma * (W1 x_t + i W2 x_t), gamma = sqrt(1 - |lambda|^2),
y_t = tanh([c1_t; c2_t]). No C projection and no Re(.): the output is the state itself.

Parameters keep the names of MODELS.md §1 so exact RTRL can run on them: `nu`, `theta_log`
float32[n], and `w1`, `w2` whose `kernel` float32[d_in, n] is W1^T, W2^T (LeCun normal).
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, Element
from baselines.memory.diagonal import DiagonalRecurrence, eigenvalues


class RTU(DiagonalRecurrence):
    @nn.nowrap
    def num_states(self) -> int:
        return self.hidden_size // 2

    def setup(self) -> None:
        if self.hidden_size % 2:
            raise ValueError(
                f"rtu: hidden_size must be even (y = [c1; c2]), got {self.hidden_size}"
            )
        self.nu, self.theta_log = self.ring_parameters()
        self.w1 = nn.Dense(self.num_states(), use_bias=False)
        self.w2 = nn.Dense(self.num_states(), use_bias=False)

    def element(self, features: Any) -> Element:
        lam = eigenvalues(self.nu, self.theta_log)
        gamma = jnp.sqrt(-jnp.expm1(-2 * jnp.exp(self.nu)))
        b = gamma * (self.w1(features) + 1j * self.w2(features))
        return jnp.broadcast_to(lam, b.shape), b

    def readout(self, carry: Carry, features: Any) -> jax.Array:
        return jnp.tanh(jnp.concatenate([carry.real, carry.imag], axis=-1))
