"""Recurrent Trace Units (Elelimy et al. 2024; docs/models.md §5), in complex form.

n = hidden_size / 2 units; h = c1 + i c2 complex64[*batch, n];
pre_t = lambda * h_{t-1} + gamma * (W1 x_t + i W2 x_t), gamma = sqrt(1 - |lambda|^2).

- `RTU`, the linear RTU: h_t = pre_t and y_t = tanh([c1_t; c2_t]) (the nonlinearity acts on the
  output only), a diagonal memoroid.
- `NonlinearRTU`: c1_t = tanh(Re pre_t), c2_t = tanh(Im pre_t) and y_t = [c1_t; c2_t]; the squash
  inside the recurrence breaks associativity, so it runs `sequential`.

No C projection and no Re(.): the output is the state itself. Both keep the parameters of
docs/models.md §5 under the same names, so exact RTRL (`baselines.memory.rtrl`, docs/models.md
§6) runs on either: `nu`, `theta_log` float32[n], and `w1`, `w2` whose `kernel` float32[d_in, n]
is W1^T, W2^T (LeCun normal).
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, Element
from baselines.memory.diagonal import DiagonalRecurrence, decay_element


def input_gain(nu: jax.Array) -> jax.Array:
    """gamma = sqrt(1 - |lambda|^2) = sqrt(1 - exp(-2 exp(nu))), float32[n]."""
    return jnp.sqrt(-jnp.expm1(-2 * jnp.exp(nu)))


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
        b = input_gain(self.nu) * (self.w1(features) + 1j * self.w2(features))
        return decay_element(self.nu, self.theta_log, b)

    def readout(self, carry: Carry, features: Any) -> jax.Array:
        return jnp.tanh(jnp.concatenate([carry.real, carry.imag], axis=-1))


class NonlinearRTU(RTU):
    """The RTU's parameters and pre-activation, with tanh applied to each part of the state."""

    is_parallel = False

    def cell(self, carry: Carry, x: jax.Array) -> tuple[Carry, jax.Array]:
        pre = self.absorb(carry, self.element(x))
        carry = jnp.tanh(pre.real) + 1j * jnp.tanh(pre.imag)
        return carry, jnp.concatenate([carry.real, carry.imag], axis=-1)

    def __call__(
        self, carry: Carry, inputs: tuple[jax.Array, jax.Array]
    ) -> tuple[Carry, jax.Array]:
        return self.sequential(carry, inputs)
