"""Helpers shared by the games played on a grid with a cursor or an avatar."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from popgym_arcade_twins.core import DOWN, FIRE, LEFT, RIGHT, UP


def move(position: jax.Array, action: jax.Array, rows: int, cols: int) -> jax.Array:
    """Arrow actions move an int32[2] (row, col) position by one cell, clamped to the board."""
    is_action = (jnp.arange(4) == action).astype(jnp.int32)
    delta = jnp.stack([is_action[DOWN] - is_action[UP], is_action[RIGHT] - is_action[LEFT]])
    return jnp.clip(delta + position, 0, jnp.array([rows - 1, cols - 1]))


def step_towards(position: jax.Array, target: jax.Array) -> jax.Array:
    """The arrow action that brings `position` one cell closer to `target` (rows first), or fire
    when it is there."""
    (row, col), (target_row, target_col) = position, target
    horizontal = jnp.where(target_col < col, LEFT, jnp.where(target_col > col, RIGHT, FIRE))
    return jnp.where(target_row < row, UP, jnp.where(target_row > row, DOWN, horizontal))


def nearest(position: jax.Array, targets: jax.Array) -> jax.Array:
    """int32[2] (row, col) of the cell of bool `targets` [rows, cols] fewest moves from
    `position` (row-major first on ties), or `position` itself when no cell is a target."""
    rows, cols = targets.shape
    row, col = jnp.meshgrid(jnp.arange(rows), jnp.arange(cols), indexing="ij")
    distance = jnp.abs(row - position[0]) + jnp.abs(col - position[1])
    index = jnp.argmin(jnp.where(targets, distance, rows + cols))
    return jnp.where(jnp.any(targets), jnp.stack([index // cols, index % cols]), position)


def one_hot_cell(position: jax.Array, rows: int, cols: int) -> jax.Array:
    """bool[rows, cols], true at the (row, col) `position` only."""
    return (jnp.arange(rows)[:, None] == position[0]) & (jnp.arange(cols)[None, :] == position[1])


def random_bits(key: jax.Array, k: int) -> jax.Array:
    """uint32[k] uniform random words: one PRNG call for all the draws of a reset.

    Drawn in a power-of-two count: other counts compile more slowly under vmap.
    """
    return jax.random.bits(key, (max(2, 1 << (k - 1).bit_length()),))[:k]


def sample_true(bits: jax.Array, mask: jax.Array) -> jax.Array:
    """int32 flat index of a uniformly chosen true entry of `mask` (bool, any shape).

    `bits` is a uniform random uint32 (one entry of `random_bits`, so one PRNG call serves a whole
    reset). Bounded work, no rejection: the entry whose rank is `bits` modulo the number of true
    entries, found by a cumulative sum (modulo bias below count / 2^32). Index 0 when nothing is
    true, so callers must guarantee a true entry.
    """
    counts = jnp.cumsum(mask.reshape(-1), dtype=jnp.uint32)
    rank = bits % jnp.maximum(counts[-1], 1)
    return jnp.argmax(counts > rank).astype(jnp.int32)


def sample_distinct(bits: jax.Array, num_cells: int) -> jax.Array:
    """int32[k]: k distinct flat cell indices below `num_cells`, a uniform k-subset, from the k
    uniform random uint32 `bits` (Floyd's algorithm: k draws, no rejection)."""
    k = bits.shape[0]

    def draw(i, chosen):
        last = num_cells - k + i  # draw i picks below last + 1, or last itself on a collision
        candidate = (bits[i] % (last + 1).astype(jnp.uint32)).astype(jnp.int32)
        return chosen.at[i].set(jnp.where(jnp.any(chosen == candidate), last, candidate))

    return jax.lax.fori_loop(0, k, draw, jnp.full((k,), -1, jnp.int32))


def cell_of(index: jax.Array, cols: int) -> jax.Array:
    """int32[2] (row, col) of a flat cell index on a board `cols` wide."""
    index = jnp.asarray(index, jnp.int32)
    return jnp.stack([jax.lax.div(index, cols), jax.lax.rem(index, cols)])
