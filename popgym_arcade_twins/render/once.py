"""Compute small dynamic values once, before the per-pixel loops that read them."""

import jax
import jax.numpy as jnp


def materialize(tree):
    """The same values, computed once before any per-pixel loop reads them.

    XLA:CPU fuses small producers into the per-pixel loops that read them and recomputes them for
    every pixel: without this, a whole env step (random draws, physics, auto-reset) or a shape's
    trigonometry runs once per pixel. A reduction is not fused into its consumers, so each array
    leaf passes through a sum with zeros. Python numbers pass through untouched.
    """

    def through_reduction(x):
        if not isinstance(x, jax.Array):
            return x
        return jnp.stack([x, jnp.zeros_like(x)]).sum(0, dtype=x.dtype)

    return jax.tree.map(through_reduction, tree)
