"""A replay buffer of whole rows (for DQN, tape segments): a fixed-capacity ring of JAX arrays.

A row is any pytree; the buffer holds `capacity` of them, every leaf stacked on a leading axis.
Writing, wrapping and sampling are pure and jittable, so the buffer lives in the runner state
(and in its checkpoints) like any other array.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct


@struct.dataclass
class RingBuffer:
    rows: Any  # pytree, leaves [capacity, ...]
    position: jax.Array  # int32: the row written next
    size: jax.Array  # int32: rows written so far, at most the capacity

    @property
    def capacity(self) -> int:
        return jax.tree.leaves(self.rows)[0].shape[0]


def empty(rows: Any, capacity: int) -> RingBuffer:
    """A buffer of `capacity` zero rows shaped like one of `rows` (leaves [n, ...]: arrays or
    `jax.ShapeDtypeStruct`s)."""
    stacked = jax.tree.map(lambda leaf: jnp.zeros((capacity, *leaf.shape[1:]), leaf.dtype), rows)
    return RingBuffer(stacked, jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))


def add(buffer: RingBuffer, rows: Any) -> RingBuffer:
    """`buffer` with `rows` (leaves [n, ...], n at most the capacity) written from `position` on,
    wrapping around: once full, each new row replaces the oldest."""
    count = jax.tree.leaves(rows)[0].shape[0]
    if count > buffer.capacity:
        raise ValueError(f"{count} rows do not fit a buffer of {buffer.capacity}")
    slots = (buffer.position + jnp.arange(count)) % buffer.capacity
    stored = jax.tree.map(lambda old, new: old.at[slots].set(new), buffer.rows, rows)
    return RingBuffer(
        stored,
        (buffer.position + count) % buffer.capacity,
        jnp.minimum(buffer.size + count, buffer.capacity),
    )


def sample(buffer: RingBuffer, key: jax.Array, count: int) -> Any:
    """`count` rows (leaves [count, ...]) drawn uniformly, with replacement, from the rows written
    so far; the buffer must hold at least one."""
    slots = jax.random.randint(key, (count,), 0, buffer.size)
    return jax.tree.map(lambda leaf: leaf[slots], buffer.rows)
