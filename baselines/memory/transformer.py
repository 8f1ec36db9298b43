"""Transformer: one causal softmax attention layer over the episode so far, with a KV cache.

Per head, with q_t = W_q x_t / sqrt(d), k_s = W_k x_s, v_s = W_v x_s and a = t - s the age of
step s seen from step t:

    o_t = sum_s softmax_s(q_t . k_s + b[a]) v_s,    y_t = W_o [o_t over heads],

the softmax running over the steps s <= t of t's episode with a < max_length. The only position
signal is b float[heads, max_length], a learned bias per head and age (0 = the current step):
positions are relative, the age of a step within the episode as seen from the query, so a step's
key never changes once cached. The carry is a cache of the last max_length steps (`KVCache`,
slot max_length - 1 the newest); a start empties it.

An episode longer than max_length does what `overflow` says:
- "error" (the default): a step that would push a step of its own episode out of the cache
  raises, in `step` and in the sequence path alike (a host callback, at run time);
- "window": the oldest step drops out, so each step attends to the last max_length steps of its
  episode, a sliding window (`windowed_attention` is this mode with a short max_length).

The sequence path is parallel: the cache and the T new steps form one tape of max_length + T
keys, and the queries go in blocks of B = min(max_length, T) steps, each attending to the keys
from max_length steps before its block to its end under a mask (causal, age < max_length, same
episode, valid), so work and memory are O(T * (max_length + B)).
"""

import functools
import math
from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import MemoryModel, check_inputs, select
from baselines.memory.heads import head_size, merge_heads, split_heads

OVERFLOWS = ("error", "window")


class KVCache(NamedTuple):
    """keys, values float32[*batch, max_length, heads, d], zero where not valid; valid
    bool[*batch, max_length]."""

    keys: jax.Array
    values: jax.Array
    valid: jax.Array


def masked_softmax(scores: jax.Array, mask: jax.Array) -> jax.Array:
    """Softmax over the last axis among `mask`ed entries (a finite fill: empty rows stay finite)."""
    return jax.nn.softmax(jnp.where(mask, scores, -1e30), axis=-1)


def _blocks(a: jax.Array, size: int, fill) -> jax.Array:
    """Time-major [N, ...] -> [ceil(N / size), size, ...], the end padded with `fill`."""
    pad = jnp.full((-len(a) % size, *a.shape[1:]), fill, a.dtype)
    return jnp.concatenate([a, pad]).reshape(-1, size, *a.shape[1:])


def _key_windows(a: jax.Array, length: int, size: int, fill) -> jax.Array:
    """[length + T, ...] -> [n, length + size, ...]: for each block of `size` queries, the keys
    from `length` steps before the block to its end (size = T: one block; size = length: each
    block of keys next to the one before it)."""
    if len(a) - length <= size:
        return a[None]
    blocks = _blocks(a, size, fill)
    return jnp.concatenate([blocks[:-1], blocks[1:]], axis=1)


def local_attention(
    q: jax.Array,
    keys: jax.Array,
    values: jax.Array,
    valid: jax.Array,
    episode: jax.Array,
    age_bias: jax.Array,
) -> jax.Array:
    """Each query attends to the valid keys of its episode at most L - 1 steps older.

    q float32[T, *batch, heads, d]; keys, values [L + T, *batch, heads, d], the first L being the
    cached steps before q[0]; valid bool and episode int [L + T, *batch]; age_bias [heads, L].
    Returns float32[T, *batch, heads, d].
    """
    length = age_bias.shape[-1]
    size = min(length, len(q))
    windows = functools.partial(_key_windows, length=length, size=size)
    batch_last = lambda a: jnp.moveaxis(a, 1, -1)  # [n, k, *batch] -> [n, *batch, k]
    age = length + jnp.arange(size)[:, None] - jnp.arange(length + size)[None, :]  # query, key
    mask = (
        (age >= 0)
        & (age < length)
        & (
            batch_last(_blocks(episode[length:], size, -1))[..., :, None]
            == batch_last(windows(episode, fill=-1))[..., None, :]
        )
        & batch_last(windows(valid, fill=False))[..., None, :]
    )  # [n, *batch, size, length + size]
    scores = jnp.einsum("nq...hd,nk...hd->n...hqk", _blocks(q, size, 0), windows(keys, fill=0))
    bias = age_bias[:, jnp.clip(age, 0, length - 1)]
    probs = masked_softmax(scores + bias, mask[..., None, :, :])
    out = jnp.einsum("n...hqk,nk...hd->nq...hd", probs, windows(values, fill=0))
    return out.reshape(-1, *out.shape[2:])[: len(q)]


def _raise_if_overflowing(overflowing: jax.Array, *, name: str, max_length: int) -> None:
    if overflowing:
        raise ValueError(
            f"{name}: an episode outgrew the KV cache (max_length={max_length}); raise "
            "max_length or set overflow='window' to attend to its last max_length steps"
        )


class Transformer(MemoryModel):
    num_heads: int = 4
    max_length: int = 1024
    overflow: str = "error"
    is_parallel = True
    name_in_errors: ClassVar[str] = "transformer"

    @classmethod
    def episode_options(cls, max_steps: int) -> dict[str, Any]:
        return {"max_length": max_steps}  # a cache of the whole episode: no overflow

    def setup(self) -> None:
        name = self.name_in_errors
        if self.max_length < 1:
            raise ValueError(f"{name}: max_length must be >= 1, got {self.max_length}")
        if self.overflow not in OVERFLOWS:
            raise ValueError(f"{name}: overflow must be one of {OVERFLOWS}, got {self.overflow!r}")
        head_size(name, self.hidden_size, self.num_heads)
        self.query = nn.Dense(self.hidden_size, use_bias=False)
        self.key = nn.Dense(self.hidden_size, use_bias=False)
        self.value = nn.Dense(self.hidden_size, use_bias=False)
        self.out = nn.Dense(self.hidden_size)
        self.age_bias = self.param(
            "age_bias", nn.initializers.zeros, (self.num_heads, self.max_length)
        )

    @nn.nowrap
    def initialize_carry(self, batch_shape: Sequence[int]) -> KVCache:
        d = head_size(self.name_in_errors, self.hidden_size, self.num_heads)
        lead = (*batch_shape, self.max_length)
        zeros = jnp.zeros((*lead, self.num_heads, d))
        return KVCache(zeros, zeros, jnp.zeros(lead, bool))

    def project(self, x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """q (scaled by 1/sqrt(d)), k, v float32[..., heads, d]."""
        q, k, v = (split_heads(f(x), self.num_heads) for f in (self.query, self.key, self.value))
        return q / math.sqrt(q.shape[-1]), k, v

    def check_length(self, evicted: jax.Array) -> None:
        """With overflow "error", raise at run time if any step pushes a valid step of its own
        episode out of the cache (`evicted`, bool, any shape)."""
        if self.overflow == "error":
            fail = functools.partial(
                _raise_if_overflowing, name=self.name_in_errors, max_length=self.max_length
            )
            jax.debug.callback(fail, jnp.any(evicted))

    def cell(self, carry: KVCache, x: jax.Array) -> tuple[KVCache, jax.Array]:
        q, k, v = self.project(x)
        slot = x.ndim - 1  # the cache's time axis, right after the batch axes
        self.check_length(carry.valid[..., 0])  # the oldest slot, about to be pushed out

        def push(cache: jax.Array, new: jax.Array) -> jax.Array:
            kept = jax.lax.slice_in_dim(cache, 1, None, axis=slot)
            return jnp.concatenate([kept, jnp.expand_dims(new, slot)], axis=slot)

        keys, values, valid = jax.tree.map(push, carry, KVCache(k, v, jnp.ones(x.shape[:-1], bool)))
        carry = KVCache(select(valid, keys, 0.0), select(valid, values, 0.0), valid)
        scores = jnp.einsum("...hd,...whd->...hw", q, carry.keys) + self.age_bias[:, ::-1]
        probs = masked_softmax(scores, carry.valid[..., None, :])
        out = jnp.einsum("...hw,...whd->...hd", probs, carry.values)
        return carry, self.out(merge_heads(out))

    def __call__(
        self, carry: KVCache, inputs: tuple[jax.Array, jax.Array]
    ) -> tuple[KVCache, jax.Array]:
        x, start = inputs
        check_inputs(carry, x, start, has_time=True)
        lead, n = start.ndim - 1, self.max_length  # lead: number of batch axes
        time_major = lambda a: jnp.moveaxis(a, lead, 0)
        q, k, v = self.project(x)
        keys = jnp.concatenate([time_major(carry.keys), k])  # [L + T, *batch, heads, d]
        values = jnp.concatenate([time_major(carry.values), v])
        valid = jnp.concatenate([time_major(carry.valid), jnp.ones(start.shape, bool)])
        episode = jnp.cumsum(jnp.concatenate([jnp.zeros_like(valid[:n]), start]), axis=0)
        # Step t of the tape pushes out the step max_length before it.
        self.check_length(valid[: len(start)] & (episode[: len(start)] == episode[n:]))
        out = local_attention(q, keys, values, valid, episode, self.age_bias)
        keep = valid[-n:] & (episode[-n:] == episode[-1])  # cached steps of the current episode
        cache = KVCache(select(keep, keys[-n:], 0.0), select(keep, values[-n:], 0.0), keep)
        cache = jax.tree.map(lambda a: jnp.moveaxis(a, 0, lead), cache)
        return cache, self.out(merge_heads(out))


class WindowedAttention(Transformer):
    """The transformer with a short sliding window: overflow "window", so a fixed-size memory."""

    max_length: int = 32
    overflow: str = "window"
    name_in_errors: ClassVar[str] = "windowed_attention"

    @classmethod
    def episode_options(cls, max_steps: int) -> dict[str, Any]:
        return {}  # the window is the model
