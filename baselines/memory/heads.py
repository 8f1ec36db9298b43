"""Multi-head reshapes shared by the attention models."""

import jax


def head_size(name: str, hidden_size: int, num_heads: int) -> int:
    if num_heads < 1 or hidden_size % num_heads:
        raise ValueError(
            f"{name}: hidden_size ({hidden_size}) must be a multiple of num_heads ({num_heads})"
        )
    return hidden_size // num_heads


def split_heads(x: jax.Array, num_heads: int) -> jax.Array:
    """[..., num_heads * d] -> [..., num_heads, d]."""
    return x.reshape(*x.shape[:-1], num_heads, -1)


def merge_heads(x: jax.Array) -> jax.Array:
    """[..., num_heads, d] -> [..., num_heads * d]."""
    return x.reshape(*x.shape[:-2], -1)
