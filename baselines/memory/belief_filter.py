"""Belief filter: a diagonal complex linear recurrence that may reach |lambda| = 1
(docs/models.md §10).

h_t = lambda * h_{t-1} + B x_t, y_t = Re(C h_t), h complex64[*batch, state_size].

For an HMM with a deterministic (permutation) transition T, the belief logits obey
l_t = T^-1 l_{t-1} + log O(o_t | .). Diagonalizing T^-1 = V diag(lambda) V^-1 (|lambda| = 1,
roots of unity) gives exactly this model with x_t = one_hot(o_t), B = V^-1 log O, C = V, and
y_t the belief logits (softmax(y_t) is the Bayes filter's belief; tested). Unlike the LRU there is
no sqrt(1 - |lambda|^2) input scale, which would silence the input at |lambda| = 1, and no skip
term. Outputs are unnormalized logits and grow with t when |lambda| = 1, as the HMM's do.

`B_re`, `B_im` hold kernels float32[d_in, n] (B^T); `C_re`, `C_im` kernels float32[n, hidden].
"""

from typing import Any

import flax.linen as nn
import jax

from baselines.memory.base import Carry, Element
from baselines.memory.diagonal import DiagonalRecurrence, decay_element


class BeliefFilter(DiagonalRecurrence):
    """`state_size` defaults to `hidden_size`; eigenvalues start near the unit circle."""

    r_min: float = 0.9
    state_size: int | None = None

    @nn.nowrap
    def num_states(self) -> int:
        return self.state_size or self.hidden_size

    def setup(self) -> None:
        self.nu, self.theta_log = self.ring_parameters()
        n = self.num_states()
        self.b_re = nn.Dense(n, use_bias=False, name="B_re")
        self.b_im = nn.Dense(n, use_bias=False, name="B_im")
        self.c_re = nn.Dense(self.hidden_size, use_bias=False, name="C_re")
        self.c_im = nn.Dense(self.hidden_size, use_bias=False, name="C_im")

    def element(self, features: Any) -> Element:
        b = self.b_re(features) + 1j * self.b_im(features)
        return decay_element(self.nu, self.theta_log, b)

    def readout(self, carry: Carry, features: Any) -> jax.Array:
        return self.c_re(carry.real) - self.c_im(carry.imag)
