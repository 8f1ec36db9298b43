"""Compute small dynamic values once, before the per-pixel loops that read them."""

import jax
import jax.numpy as jnp
import numpy as np


def materialize(tree):
    """The same values, computed once before any per-pixel loop reads them.

    XLA:CPU fuses small producers into the per-pixel loops that read them and recomputes them for
    every pixel: without this, a whole env step (random draws, physics, auto-reset) or a shape's
    trigonometry runs once per pixel. A reduction is not fused into its consumers, so the array
    leaves, flattened and concatenated per dtype, pass through one sum with zeros per dtype.
    Python numbers and numpy arrays pass through untouched.
    """
    leaves, treedef = jax.tree.flatten(tree)
    traced = [i for i, leaf in enumerate(leaves) if isinstance(leaf, jax.Array)]
    by_dtype: dict[np.dtype, list[int]] = {}
    for i in traced:
        by_dtype.setdefault(leaves[i].dtype, []).append(i)
    for indices in by_dtype.values():
        flat = jnp.concatenate([jnp.ravel(leaves[i]) for i in indices])
        flat = jnp.stack([flat, jnp.zeros_like(flat)]).sum(0, dtype=flat.dtype)
        offsets = np.cumsum([0] + [leaves[i].size for i in indices])
        for i, begin, end in zip(indices, offsets[:-1], offsets[1:], strict=True):
            leaves[i] = flat[begin:end].reshape(leaves[i].shape)
    return jax.tree.unflatten(treedef, leaves)
