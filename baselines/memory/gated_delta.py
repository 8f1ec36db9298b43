"""Gated DeltaNet (Yang, Kautz, Hatamizadeh 2025; MODELS.md §5), without the short convolution.

Per head: k, q = l2normalize(silu(W x)), v = W_v x, beta = sigmoid(w_beta x) in (0, 1) and the
decay alpha = sigmoid(w_alpha x + 4) in (0, 1). The state S float32[*batch, heads, d, d] (d_v x d_k)
follows S_t = alpha_t S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T and o_t = S_t q_t.

The parallel path scans elements (A, B) = (alpha (I - beta k k^T), beta v k^T), combined as
(A_i A_j, B_i A_j + B_j) (right multiplication). That costs O(d^3) per combine; the single step
uses the O(d^2) error-correcting form S_t = alpha S + beta (v - alpha S k) k^T instead.
"""

from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, Element, Memoroid
from baselines.memory.heads import head_size, merge_heads, split_heads


class DeltaFeatures(NamedTuple):
    """Per-step projections: q, k (unit norm), v f32[..., heads, d]; alpha, beta [..., heads]."""

    q: jax.Array
    k: jax.Array
    v: jax.Array
    alpha: jax.Array
    beta: jax.Array


def delta_element(alpha: jax.Array, beta: jax.Array, k: jax.Array, v: jax.Array) -> Element:
    """(A, B) = (alpha (I - beta k k^T), beta v k^T), float32[..., heads, d, d] each."""
    a, b = alpha[..., None, None], beta[..., None, None]
    eye = jnp.eye(k.shape[-1], dtype=k.dtype)
    return a * (eye - b * k[..., :, None] * k[..., None, :]), b * v[..., :, None] * k[..., None, :]


def delta_update(
    s: jax.Array, alpha: jax.Array, beta: jax.Array, k: jax.Array, v: jax.Array
) -> jax.Array:
    """alpha S + beta (v - alpha S k) k^T, the same step as absorbing `delta_element`."""
    a, b = alpha[..., None], beta[..., None]
    error = v - a * jnp.einsum("...vk,...k->...v", s, k)
    return a[..., None] * s + (b * error)[..., :, None] * k[..., None, :]


def l2_normalize(x: jax.Array, eps: float = 1e-6) -> jax.Array:
    return x * jax.lax.rsqrt(jnp.sum(x * x, axis=-1, keepdims=True) + eps)


class GatedDeltaNet(Memoroid):
    num_heads: int = 4

    def setup(self) -> None:
        head_size("gated_delta", self.hidden_size, self.num_heads)
        self.query = nn.Dense(self.hidden_size, use_bias=False)
        self.key = nn.Dense(self.hidden_size, use_bias=False)
        self.value = nn.Dense(self.hidden_size, use_bias=False)
        self.beta = nn.Dense(self.num_heads)
        self.alpha = nn.Dense(self.num_heads, bias_init=nn.initializers.constant(4.0))
        self.out = nn.Dense(self.hidden_size)

    @nn.nowrap
    def initialize_carry(self, batch_shape) -> Carry:
        d = head_size("gated_delta", self.hidden_size, self.num_heads)
        return jnp.zeros((*batch_shape, self.num_heads, d, d))

    def features(self, x: jax.Array) -> DeltaFeatures:
        q, k = (
            l2_normalize(jax.nn.silu(split_heads(f(x), self.num_heads)))
            for f in (self.query, self.key)
        )
        v = split_heads(self.value(x), self.num_heads)
        return DeltaFeatures(q, k, v, jax.nn.sigmoid(self.alpha(x)), jax.nn.sigmoid(self.beta(x)))

    def element(self, features: Any) -> Element:
        return delta_element(features.alpha, features.beta, features.k, features.v)

    @staticmethod
    def combine(left: Element, right: Element) -> Element:
        (a_left, b_left), (a_right, b_right) = left, right
        return a_left @ a_right, b_left @ a_right + b_right

    @staticmethod
    def absorb(carry: Carry, element: Element) -> Carry:
        a, b = element
        return carry @ a + b

    def readout(self, carry: Carry, features: Any) -> jax.Array:
        return self.out(merge_heads(jnp.einsum("...vk,...k->...v", carry, features.q)))

    def cell(self, carry: Carry, x: jax.Array) -> tuple[Carry, jax.Array]:
        f = self.features(x)
        carry = delta_update(carry, f.alpha, f.beta, f.k, f.v)
        return carry, self.readout(carry, f)
