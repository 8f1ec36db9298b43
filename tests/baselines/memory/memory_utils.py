"""Helpers for the memory-model tests: small models, random inputs (and `jit`, the tests' own)."""

import jax
import numpy as np

from baselines.memory import MEMORY_MODELS, MemoryModel
from tests.compiling import jit

D_IN = 5
HIDDEN = 16
# Small windows and chunks, so that the short test sequences span several of them. The
# transformer slides its window too: a random carry's valid flags would overflow its cache.
OVERRIDES = {
    "transformer": {"max_length": 8, "overflow": "window"},
    "windowed_attention": {"max_length": 5},
    "linear_ttt": {"chunk_size": 5},
    "linear_attention": {"chunk_size": 5},
    "gated_delta": {"chunk_size": 5},
}


def small_model(name: str) -> MemoryModel:
    return MEMORY_MODELS[name](hidden_size=HIDDEN, **OVERRIDES.get(name, {}))


def random_inputs(seed: int, shape: tuple[int, ...], start_rate: float = 0.0):
    """x float32[*shape, D_IN] and start bool[*shape] with start[0] = True, as numpy arrays
    (eager JAX ops would each compile a kernel per shape)."""
    rng = np.random.default_rng(seed)
    start = rng.random(shape) < start_rate
    start[0] = True
    return rng.standard_normal((*shape, D_IN), np.float32), start


def init(model: MemoryModel, key: jax.Array):
    x, start = random_inputs(0, (1, 1))
    return jit(model.init)(key, model.initialize_carry((1,)), (x, start))


def random_carry(model: MemoryModel, batch_shape: tuple[int, ...], seed: int = 2):
    """A carry far from the initial one: random values (bool leaves random too), numpy."""
    rng = np.random.default_rng(seed)

    def randomize(leaf):
        if leaf.dtype == bool:
            return rng.random(leaf.shape) < 0.5
        values = rng.standard_normal((2, *leaf.shape)).astype(np.float32)
        return values[0] + 1j * values[1] if np.iscomplexobj(leaf) else values[0]

    return jax.tree.map(randomize, model.initialize_carry(batch_shape))


def assert_trees_close(actual, expected, tol: float = 1e-5) -> None:
    for a, b in zip(jax.tree.leaves(actual), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)
