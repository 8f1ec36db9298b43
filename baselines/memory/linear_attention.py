"""Linear attention, the linear transformer of Katharopoulos et al. 2020 (docs/models.md §7).

Per head, phi = elu + 1: S_t = S_{t-1} + phi(k_t) v_t^T, z_t = z_{t-1} + phi(k_t),
o_t = S_t^T phi(q_t) / (phi(q_t)^T z_t + eps), y_t = W_o [o_t over heads].
The carry (S, z) is float32[*batch, heads, d, d] and [*batch, heads, d]; the combine is addition.
The sequence path is chunked: causal attention inside a chunk, the additive scan across chunks.
"""

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, Element
from baselines.memory.chunked import ChunkedMemoroid, time_minor
from baselines.memory.heads import head_size, merge_heads, split_heads


def phi(x: jax.Array) -> jax.Array:
    return jax.nn.elu(x) + 1


class LinearAttention(ChunkedMemoroid):
    num_heads: int = 4
    eps: float = 1e-6

    def setup(self) -> None:
        head_size("linear_attention", self.hidden_size, self.num_heads)
        self.query = nn.Dense(self.hidden_size, use_bias=False)
        self.key = nn.Dense(self.hidden_size, use_bias=False)
        self.value = nn.Dense(self.hidden_size, use_bias=False)
        self.out = nn.Dense(self.hidden_size)

    @nn.nowrap
    def initialize_carry(self, batch_shape: Sequence[int]) -> Carry:
        d = head_size("linear_attention", self.hidden_size, self.num_heads)
        lead = (*batch_shape, self.num_heads)
        return jnp.zeros((*lead, d, d)), jnp.zeros((*lead, d))

    def features(self, x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """(phi(q), phi(k), v), each float32[..., heads, d]."""
        q, k, v = (split_heads(f(x), self.num_heads) for f in (self.query, self.key, self.value))
        return phi(q), phi(k), v

    def element(self, features: Any) -> Element:
        _, phi_k, v = features
        return phi_k[..., :, None] * v[..., None, :], phi_k

    @staticmethod
    def combine(left: Element, right: Element) -> Element:
        return jax.tree.map(jnp.add, left, right)

    @staticmethod
    def absorb(carry: Carry, element: Element) -> Carry:
        return jax.tree.map(jnp.add, carry, element)

    def readout(self, carry: Carry, features: Any) -> jax.Array:
        (s, z), phi_q = carry, features[0]
        numerator = jnp.einsum("...kv,...k->...v", s, phi_q)
        denominator = jnp.einsum("...k,...k->...", z, phi_q)[..., None]
        return self.out(merge_heads(numerator / (denominator + self.eps)))

    def summarize(self, features: Any, start: jax.Array, valid: jax.Array) -> tuple[Element, Any]:
        phi_q, phi_k, v = (time_minor(a, 1) for a in features)  # [C, *batch, heads, L, d]
        episode = time_minor(jnp.cumsum(start, axis=1), 0)[..., None, :]  # [C, *batch, 1, L]
        phi_k = phi_k * time_minor(valid, 0)[..., None, :, None]  # padding writes nothing
        last = phi_k * (episode == episode[..., -1:])[..., None]  # the chunk's last episode
        element = (jnp.swapaxes(last, -1, -2) @ v, last.sum(-2))
        same = episode[..., :, None] == episode[..., None, :]
        weights = jnp.tril(phi_q @ jnp.swapaxes(phi_k, -1, -2)) * same  # [..., L (t), L (s)]
        return element, (weights @ v, weights.sum(-1), phi_q, episode == 0)

    def chunk_readout(self, before: Carry, intra: Any) -> jax.Array:
        (s, z), (numerator, denominator, phi_q, is_open) = before, intra
        # Steps before the chunk's first start also see the carry entering it.
        numerator += is_open[..., None] * (phi_q @ s)
        denominator += is_open * jnp.einsum("...lk,...k->...l", phi_q, z)
        o = numerator / (denominator[..., None] + self.eps)  # [C, *batch, heads, L, d]
        return self.out(merge_heads(jnp.moveaxis(o, -2, 1)))
