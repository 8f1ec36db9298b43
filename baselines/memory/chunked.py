"""Chunked parallel path, for memoroids whose per-step element is costly (a d x d matrix).

The sequence is cut into chunks of `chunk_size` steps, the last one padded with no-op steps.
The model summarizes each chunk as one element with dense intra-chunk algebra, the resettable
scan combines the chunk elements as it would per-step ones, and the model reads every step out
from the carry entering its chunk. So one state is materialized per chunk, not per step.
"""

from typing import Any

import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, Element, Memoroid, prefix_carries


def time_minor(a: jax.Array, features_ndim: int) -> jax.Array:
    """[C, L, *batch, *f] -> [C, *batch, *f[:-k], L, *f[-k:]] with k = features_ndim: time
    inside a chunk moved next to the `features_ndim` trailing axes, for batched matmuls."""
    return jnp.moveaxis(a, 1, a.ndim - 1 - features_ndim)


class ChunkedMemoroid(Memoroid):
    """A subclass gives, besides the per-step monoid (used by `step`), `summarize` and
    `chunk_readout`."""

    chunk_size: int = 32

    def summarize(self, features: Any, start: jax.Array, valid: jax.Array) -> tuple[Element, Any]:
        """(element, intra) per chunk. features leaves [C, L, *batch, ...] and start, valid
        bool[C, L, *batch]; steps with valid False are padding and must be no-ops. The element
        (leaves [C, *batch, ...]) covers the chunk's steps since its last start; intra is what
        `chunk_readout` needs."""
        raise NotImplementedError

    def chunk_readout(self, before: Carry, intra: Any) -> jax.Array:
        """y float[C, L, *batch, hidden] from the carry entering each chunk (leaves
        [C, *batch, ...]); a start inside a chunk cuts the steps after it off from `before`."""
        raise NotImplementedError

    def parallel(self, carry: Carry, x: jax.Array, start: jax.Array) -> tuple[Carry, jax.Array]:
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {self.chunk_size}")
        length = len(start)
        size = min(self.chunk_size, length)
        count = -(-length // size)

        def chunks(a: jax.Array) -> jax.Array:  # [T, ...] -> [count, size, ...], zero-padded
            pad = jnp.zeros((count * size - length, *a.shape[1:]), a.dtype)
            return jnp.concatenate([a, pad]).reshape(count, size, *a.shape[1:])

        start = chunks(start)
        elements, intra = self.summarize(
            jax.tree.map(chunks, self.features(x)), start, chunks(jnp.ones(x.shape[:-1], bool))
        )
        initial = self.initialize_carry(start.shape[2:])
        after = prefix_carries(self, elements, start.any(axis=1), carry, initial)
        before = jax.tree.map(lambda c, a: jnp.concatenate([c[None], a[:-1]]), carry, after)
        y = self.chunk_readout(before, intra)
        return jax.tree.map(lambda a: a[-1], after), y.reshape(-1, *y.shape[2:])[:length]
