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


def one_hot_cell(position: jax.Array, rows: int, cols: int) -> jax.Array:
    """bool[rows, cols], true at the (row, col) `position` only."""
    return (jnp.arange(rows)[:, None] == position[0]) & (jnp.arange(cols)[None, :] == position[1])
