"""Gated DeltaNet (Yang, Kautz, Hatamizadeh 2025; docs/models.md §8), without the short convolution.

Per head: k, q = l2normalize(silu(W x)), v = W_v x, beta = sigmoid(w_beta x) in (0, 1) and the
decay alpha = sigmoid(w_alpha x + 4) in (0, 1). The state S float32[*batch, heads, d, d] (d_v x d_k)
follows S_t = alpha_t S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T and o_t = S_t q_t.

As a memoroid the step is (A, B) = (alpha (I - beta k k^T), beta v k^T), combined as
(A_i A_j, B_i A_j + B_j) (right multiplication). The single step uses the O(d^2)
error-correcting form S_t = alpha S + beta (v - alpha S k) k^T instead of the O(d^3) product.
The sequence path is chunked (the WY form): inside a chunk, with u_t = beta_t (v_t - alpha_t
S_{t-1} k_t) so that S_t = alpha_t S_{t-1} + u_t k_t^T, the u_t solve one unit lower-triangular
system, and each chunk becomes one (A, B) element for the scan across chunks.
"""

from collections.abc import Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, Element
from baselines.memory.chunked import ChunkedMemoroid, time_minor
from baselines.memory.heads import head_size, merge_heads, split_heads


class DeltaFeatures(NamedTuple):
    """Per step: q, k (unit norm), v float32[..., heads, d]; log_alpha, beta [..., heads]."""

    q: jax.Array
    k: jax.Array
    v: jax.Array
    log_alpha: jax.Array
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


def _transpose(a: jax.Array) -> jax.Array:
    return jnp.swapaxes(a, -1, -2)


@jax.custom_vjp
def unit_lower_inverse(n: jax.Array) -> jax.Array:
    """(I + n)^-1 for strictly lower-triangular n float32[..., L, L], by forward substitution
    row by row: T_t = e_t - sum_{s<t} n[t, s] T_s. (XLA's batched triangular_solve is much
    slower on CPU, and differentiating the loop would store L copies of T.)"""

    def row(t: int, inverse: jax.Array) -> jax.Array:
        solved = jnp.eye(n.shape[-1], dtype=n.dtype)[t] - jnp.einsum(
            "...s,...sm->...m", n[..., t, :], inverse
        )
        return inverse.at[..., t, :].set(solved)

    return jax.lax.fori_loop(0, n.shape[-1], row, jnp.zeros_like(n))


def _inverse_forward(n: jax.Array) -> tuple[jax.Array, jax.Array]:
    inverse = unit_lower_inverse(n)
    return inverse, inverse


def _inverse_backward(inverse: jax.Array, cotangent: jax.Array) -> tuple[jax.Array]:
    # d(I + n)^-1 = -T dn T, so the cotangent of n is -T^T dT T^T.
    return (-_transpose(inverse) @ cotangent @ _transpose(inverse),)


unit_lower_inverse.defvjp(_inverse_forward, _inverse_backward)


class GatedDeltaNet(ChunkedMemoroid):
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
    def initialize_carry(self, batch_shape: Sequence[int]) -> Carry:
        d = head_size("gated_delta", self.hidden_size, self.num_heads)
        return jnp.zeros((*batch_shape, self.num_heads, d, d))

    def features(self, x: jax.Array) -> DeltaFeatures:
        q, k = (
            l2_normalize(jax.nn.silu(split_heads(f(x), self.num_heads)))
            for f in (self.query, self.key)
        )
        v = split_heads(self.value(x), self.num_heads)
        beta = jax.nn.sigmoid(self.beta(x))
        return DeltaFeatures(q, k, v, jax.nn.log_sigmoid(self.alpha(x)), beta)

    def element(self, features: Any) -> Element:
        f = features
        return delta_element(jnp.exp(f.log_alpha), f.beta, f.k, f.v)

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
        carry = delta_update(carry, jnp.exp(f.log_alpha), f.beta, f.k, f.v)
        return carry, self.readout(carry, f)

    def summarize(self, features: Any, start: jax.Array, valid: jax.Array) -> tuple[Element, Any]:
        q, k, v = (time_minor(a, 1) for a in features[:3])  # [C, *batch, heads, L, d]
        valid = time_minor(valid, 0)[..., None, :]  # [C, *batch, 1, L]
        episode = time_minor(jnp.cumsum(start, axis=1), 0)[..., None, :]
        # Padding steps are identities: alpha = 1, beta = 0.
        beta = jnp.where(valid, time_minor(features.beta, 0), 0.0)
        length = start.shape[1]
        # reachable[t, s]: s <= t in the same episode. The log-decay is summed per episode (a
        # masked matmul, not a cumsum), so no gradient crosses a start, not even rounding.
        reachable = jnp.tril(jnp.ones((length, length), bool)) & (
            episode[..., :, None] == episode[..., None, :]
        )
        log_alpha = jnp.where(valid, time_minor(features.log_alpha, 0), 0.0)
        log_decay = jnp.einsum("...ts,...s->...t", reachable, log_alpha)  # sum over the episode
        # gamma_t: decay of the carry entering the chunk up to step t; decay[t, s]: of step s
        # up to step t. Both are 0 across a start.
        gamma = jnp.where(episode == 0, jnp.exp(log_decay), 0.0)
        decay = jnp.exp(
            jnp.where(reachable, log_decay[..., :, None] - log_decay[..., None, :], -jnp.inf)
        )
        # (I + diag(beta) tril(decay * K K^T, -1)) [U0, W] = [diag(beta) V, diag(beta gamma) K]
        inverse = unit_lower_inverse(beta[..., None] * jnp.tril(decay * (k @ _transpose(k)), -1))
        u0 = inverse @ (beta[..., None] * v)
        w = inverse @ ((beta * gamma)[..., None] * k)  # u_t = u0_t - S_0 w_t
        to_end = decay[..., -1, :, None] * k  # decay[L - 1, s] k_s
        eye = jnp.eye(k.shape[-1], dtype=k.dtype)
        element = (
            gamma[..., -1, None, None] * eye - _transpose(w) @ to_end,
            _transpose(u0) @ to_end,
        )
        attention = decay * (q @ _transpose(k))  # [..., L (t), L (s)], causal
        return element, (attention @ u0, gamma[..., None] * q - attention @ w)

    def chunk_readout(self, before: Carry, intra: Any) -> jax.Array:
        # o_t = sum_s attention[t, s] u_s + gamma_t S_0 q_t, with u_s = u0_s - S_0 w_s.
        local, through_carry = intra
        o = local + through_carry @ _transpose(before)  # [C, *batch, heads, L, d_v]
        return self.out(merge_heads(jnp.moveaxis(o, -2, 1)))
