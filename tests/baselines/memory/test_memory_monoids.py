"""The memoroid core: the start-flag fold keeps combines associative and resets prefixes."""

import itertools

import jax
import numpy as np
import pytest

from baselines.memory import MEMORY_MODELS, Memoroid, resettable, resettable_scan
from baselines.memory.diagonal import DiagonalRecurrence
from tests.baselines.memory.memory_utils import assert_trees_close, jit, random_carry, random_inputs

MONOIDS = [
    name for name, cls in MEMORY_MODELS.items() if issubclass(cls, Memoroid) and cls.is_parallel
]
affine = DiagonalRecurrence.combine  # (a, b) acts as h -> a h + b


def random_affine(rng: np.random.Generator, shape: tuple[int, ...]):
    return tuple(rng.standard_normal((2, *shape)).astype(np.float32))


def test_resettable_combine_is_associative_for_every_flag_pattern():
    """(x o y) o z = x o (y o z) for all 8 start-flag patterns of (x, y, z)."""
    rng = np.random.default_rng(0)
    flags = np.array(list(itertools.product([False, True], repeat=3))).T  # [3, 8 patterns]
    x, y, z = ((random_affine(rng, (8,)), f) for f in flags)
    combined = resettable(affine)
    left, right = jit(lambda: (combined(combined(x, y), z), combined(x, combined(y, z))))()
    assert_trees_close(left, right)


def test_resettable_scan_restarts_at_every_start():
    """Each prefix composes exactly the steps since the last start, and the incoming carry
    enters only where no start has happened yet (a loop as reference)."""
    rng = np.random.default_rng(1)
    a, b = random_affine(rng, (50, 3))
    start = rng.random((50, 3)) < 0.2
    (prod, total), has_start = jit(lambda: resettable_scan(affine, (a, b), start))()
    carry = rng.standard_normal(3)
    h = carry
    for t in range(50):
        h = a[t] * np.where(start[t], 0.0, h) + b[t]
        first = np.where(has_start[t], 0.0, carry)
        np.testing.assert_allclose(prod[t] * first + total[t], h, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(has_start[t], start[: t + 1].any(0))


@pytest.mark.parametrize("name", MONOIDS)
def test_model_combine_is_associative_and_absorbs(model, params):
    """On elements a model makes from random inputs: combine is associative, with and without
    start flags, and absorbing a then b equals absorbing their combination."""
    x, _ = random_inputs(7, (3, 8))
    flags = np.random.default_rng(8).random((3, 8)) < 0.5

    def check():
        elements = model.apply(params, x, method=lambda m, x: m.element(m.features(x)))
        a, b, c = (jax.tree.map(lambda e, i=i: e[i], elements) for i in range(3))
        combine, flagged = model.combine, resettable(model.combine)
        fa, fb, fc = ((e, f) for e, f in zip((a, b, c), flags, strict=True))
        carry = random_carry(model, (8,))
        return (
            (combine(combine(a, b), c), combine(a, combine(b, c))),
            (flagged(flagged(fa, fb), fc), flagged(fa, flagged(fb, fc))),
            (model.absorb(model.absorb(carry, a), b), model.absorb(carry, combine(a, b))),
        )

    for left, right in jit(check)():
        assert_trees_close(left, right)
