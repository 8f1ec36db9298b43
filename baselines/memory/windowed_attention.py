"""Windowed attention: one softmax attention layer over the last `window` steps (a transformer
baseline with a fixed-size memory).

Each step attends, per head, to itself and the up to window - 1 previous steps of its episode.
The only position signal is a learned bias per head and age (0 = the current step). The carry
is a cache of the last `window` steps, slot window - 1 the newest (`WindowCache`).

The sequence path is parallel: positions are cut into blocks of `window`, the carried cache
being block 0, and each block of queries attends to its own and the previous block of keys under
a mask (in the window, same episode, valid), so work and memory are O(T * window).
"""

import math
from collections.abc import Sequence
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import MemoryModel, check_inputs, select
from baselines.memory.heads import head_size, merge_heads, split_heads


class WindowCache(NamedTuple):
    """keys, values float32[*batch, window, heads, d], zero where not valid; valid bool[*batch,
    window]."""

    keys: jax.Array
    values: jax.Array
    valid: jax.Array


def masked_softmax(scores: jax.Array, mask: jax.Array) -> jax.Array:
    """Softmax over the last axis among `mask`ed entries (a finite fill: empty rows stay finite)."""
    return jax.nn.softmax(jnp.where(mask, scores, -1e30), axis=-1)


def _blocks(a: jax.Array, window: int, fill) -> jax.Array:
    """Time-major [L, ...] -> [ceil(L / window), window, ...], the end padded with `fill`."""
    pad = jnp.full((-len(a) % window, *a.shape[1:]), fill, a.dtype)
    return jnp.concatenate([a, pad]).reshape(-1, window, *a.shape[1:])


def _with_previous(blocks: jax.Array) -> jax.Array:
    """[n + 1, W, ...] -> [n, 2W, ...]: each block after the first preceded by the one before."""
    return jnp.concatenate([blocks[:-1], blocks[1:]], axis=1)


def local_attention(
    q: jax.Array,
    keys: jax.Array,
    values: jax.Array,
    valid: jax.Array,
    episode: jax.Array,
    age_bias: jax.Array,
) -> jax.Array:
    """Each query attends to the keys of its episode at most window - 1 steps older.

    q float32[T, *batch, heads, d]; keys, values [W + T, *batch, heads, d], the first W being the
    cached steps before q[0]; valid bool and episode int [W + T, *batch]; age_bias [heads, W].
    Returns float32[T, *batch, heads, d].
    """
    w = age_bias.shape[-1]
    batch_last = lambda a: jnp.moveaxis(a, 1, -1)  # [n, w, *batch] -> [n, *batch, w]
    episode_blocks = _blocks(episode, w, -1)
    age = w + jnp.arange(w)[:, None] - jnp.arange(2 * w)[None, :]  # query i, key j of a block
    mask = (
        (age >= 0)
        & (age < w)
        & (
            batch_last(episode_blocks[1:])[..., :, None]
            == batch_last(_with_previous(episode_blocks))[..., None, :]
        )
        & batch_last(_with_previous(_blocks(valid, w, False)))[..., None, :]
    )  # [n, *batch, w, 2w]
    scores = jnp.einsum(
        "nq...hd,nk...hd->n...hqk", _blocks(q, w, 0), _with_previous(_blocks(keys, w, 0))
    )
    probs = masked_softmax(scores + age_bias[:, jnp.clip(age, 0, w - 1)], mask[..., None, :, :])
    out = jnp.einsum("n...hqk,nk...hd->nq...hd", probs, _with_previous(_blocks(values, w, 0)))
    return out.reshape(-1, *out.shape[2:])[: len(q)]


class WindowedAttention(MemoryModel):
    num_heads: int = 4
    window: int = 32
    is_parallel = True

    def setup(self) -> None:
        if self.window < 1:
            raise ValueError(f"windowed_attention: window must be >= 1, got {self.window}")
        head_size("windowed_attention", self.hidden_size, self.num_heads)
        self.query = nn.Dense(self.hidden_size, use_bias=False)
        self.key = nn.Dense(self.hidden_size, use_bias=False)
        self.value = nn.Dense(self.hidden_size, use_bias=False)
        self.out = nn.Dense(self.hidden_size)
        self.age_bias = self.param("age_bias", nn.initializers.zeros, (self.num_heads, self.window))

    @nn.nowrap
    def initialize_carry(self, batch_shape: Sequence[int]) -> WindowCache:
        d = head_size("windowed_attention", self.hidden_size, self.num_heads)
        lead = (*batch_shape, self.window)
        zeros = jnp.zeros((*lead, self.num_heads, d))
        return WindowCache(zeros, zeros, jnp.zeros(lead, bool))

    def project(self, x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """q (scaled by 1/sqrt(d)), k, v float32[..., heads, d]."""
        q, k, v = (split_heads(f(x), self.num_heads) for f in (self.query, self.key, self.value))
        return q / math.sqrt(q.shape[-1]), k, v

    def cell(self, carry: WindowCache, x: jax.Array) -> tuple[WindowCache, jax.Array]:
        q, k, v = self.project(x)
        slot = x.ndim - 1  # the cache's window axis, right after the batch axes

        def push(cache: jax.Array, new: jax.Array) -> jax.Array:
            kept = jax.lax.slice_in_dim(cache, 1, None, axis=slot)
            return jnp.concatenate([kept, jnp.expand_dims(new, slot)], axis=slot)

        keys, values, valid = jax.tree.map(
            push, carry, WindowCache(k, v, jnp.ones(x.shape[:-1], bool))
        )
        carry = WindowCache(select(valid, keys, 0.0), select(valid, values, 0.0), valid)
        scores = jnp.einsum("...hd,...whd->...hw", q, carry.keys) + self.age_bias[:, ::-1]
        probs = masked_softmax(scores, carry.valid[..., None, :])
        out = jnp.einsum("...hw,...whd->...hd", probs, carry.values)
        return carry, self.out(merge_heads(out))

    def __call__(
        self, carry: WindowCache, inputs: tuple[jax.Array, jax.Array]
    ) -> tuple[WindowCache, jax.Array]:
        x, start = inputs
        check_inputs(carry, x, start, has_time=True)
        lead, w = start.ndim - 1, self.window  # lead: number of batch axes
        time_major = lambda a: jnp.moveaxis(a, lead, 0)
        q, k, v = self.project(x)
        keys = jnp.concatenate([time_major(carry.keys), k])  # [W + T, *batch, heads, d]
        values = jnp.concatenate([time_major(carry.values), v])
        valid = jnp.concatenate([time_major(carry.valid), jnp.ones(start.shape, bool)])
        episode = jnp.cumsum(jnp.concatenate([jnp.zeros_like(valid[:w]), start]), axis=0)
        out = local_attention(q, keys, values, valid, episode, self.age_bias)
        keep = valid[-w:] & (episode[-w:] == episode[-1])  # cached steps of the current episode
        cache = WindowCache(select(keep, keys[-w:], 0.0), select(keep, values[-w:], 0.0), keep)
        cache = jax.tree.map(lambda a: jnp.moveaxis(a, 0, lead), cache)
        return cache, self.out(merge_heads(out))
