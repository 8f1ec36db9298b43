"""Linear TTT: TTT-Linear of Sun et al. 2024 ("Learning to (Learn at Test Time)"), online form.

The hidden state is the weight W float32[*batch, heads, d, d] of a linear inner model f(u) = W u,
trained at test time by one gradient step per token. Per head, from views of x_t: the training
view k_t = l2normalize(W_K x_t), the label view v_t = W_V x_t, the test view
q_t = l2normalize(W_Q x_t) and a learned inner learning rate eta_t = sigmoid(w_eta x_t + b_eta)
in (0, 1):

    inner loss  l_t(W) = 1/2 ||W k_t - v_t||^2,   grad l_t(W) = (W k_t - v_t) k_t^T,
    W_t = W_{t-1} - eta_t grad l_t(W_{t-1}) = W_{t-1} (I - eta_t k_t k_t^T) + eta_t v_t k_t^T,
    z_t = W_t q_t,   y_t = W_o [z_t over heads].

A start resets W to W_0, a learned initial weight (initialized at zero). The variant is the
plain linear inner model with mini-batch size one: the paper's TTT-Linear layer also puts a
LayerNorm and a residual around the inner model, which makes the step non-affine in W and so
leaves no associative scan; it is not implemented. Unit-norm keys and eta_t < 1 make every step
a contraction along k_t, so W stays bounded.

The update is the delta rule without decay, so the model is a `GatedDeltaNet` with alpha = 1
whose carry is the deviation D = W - W_0 (zero at a start): D_t = D_{t-1} (I - eta_t k_t k_t^T)
+ eta_t (v_t - W_0 k_t) k_t^T and z_t = (W_0 + D_t) q_t. It shares that model's step, monoid
and chunked parallel path.
"""

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, Element
from baselines.memory.chunked import time_minor
from baselines.memory.gated_delta import DeltaFeatures, GatedDeltaNet, l2_normalize
from baselines.memory.heads import head_size, merge_heads, split_heads


class LinearTTT(GatedDeltaNet):
    def setup(self) -> None:
        d = head_size("linear_ttt", self.hidden_size, self.num_heads)
        self.query = nn.Dense(self.hidden_size, use_bias=False)
        self.key = nn.Dense(self.hidden_size, use_bias=False)
        self.value = nn.Dense(self.hidden_size, use_bias=False)
        self.learning_rate = nn.Dense(self.num_heads)
        self.out = nn.Dense(self.hidden_size)
        self.initial = self.param("initial", nn.initializers.zeros, (self.num_heads, d, d))

    @nn.nowrap
    def initialize_carry(self, batch_shape: Sequence[int]) -> Carry:
        d = head_size("linear_ttt", self.hidden_size, self.num_heads)
        return jnp.zeros((*batch_shape, self.num_heads, d, d))

    def views(self, x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
        """(q, k, v) float32[..., heads, d] and eta float32[..., heads]."""
        q, k = (l2_normalize(split_heads(f(x), self.num_heads)) for f in (self.query, self.key))
        v = split_heads(self.value(x), self.num_heads)
        return q, k, v, jax.nn.sigmoid(self.learning_rate(x))

    def features(self, x: jax.Array) -> DeltaFeatures:
        """The delta rule's features for D = W - W_0: value v - W_0 k, alpha = 1, beta = eta."""
        q, k, v, eta = self.views(x)
        label = v - jnp.einsum("hvk,...hk->...hv", self.initial, k)
        return DeltaFeatures(q, k, label, jnp.zeros_like(eta), eta)

    def readout(self, carry: Carry, features: Any) -> jax.Array:
        w = carry + self.initial
        return self.out(merge_heads(jnp.einsum("...vk,...k->...v", w, features.q)))

    def summarize(self, features: Any, start: jax.Array, valid: jax.Array) -> tuple[Element, Any]:
        element, (local, through_carry) = super().summarize(features, start, valid)
        q = time_minor(features.q, 1)  # [C, *batch, heads, L, d]
        return element, (local + q @ jnp.swapaxes(self.initial, -1, -2), through_carry)
