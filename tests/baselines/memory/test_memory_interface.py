"""Properties every memory model must have, checked for each entry of MEMORY_MODELS."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from baselines.memory import MEMORY_MODELS, Memoroid
from tests.baselines.memory.memory_utils import (
    D_IN,
    HIDDEN,
    assert_trees_close,
    init,
    jit,
    random_carry,
    random_inputs,
)


def test_reset_isolation(model, params):
    """A stream of episodes with start flags equals each episode run alone from a fresh carry,
    and no gradient flows from one episode into an earlier one."""
    lengths, batch = (7, 5, 8), (2,)
    bounds = np.cumsum(lengths)[:-1]
    x, _ = random_inputs(3, (sum(lengths), *batch))
    start = np.zeros(x.shape[:-1], bool)
    start[np.r_[0, bounds]] = True
    # The episodes side by side on a new batch axis, padded at the end to the longest one.
    longest = max(lengths)
    pad = lambda e: np.pad(e, ((0, longest - len(e)), (0, 0), (0, 0)))
    alone = np.stack([pad(e) for e in np.split(x, bounds)], axis=1)

    def last_episode_energy(x):
        carry, y = model.apply(params, random_carry(model, batch), (x, start))
        return jnp.sum(y[-lengths[-1] :] ** 2), (carry, y)

    def run(x):
        grad, outputs = jax.grad(last_episode_energy, has_aux=True)(x)
        fresh = model.initialize_carry(alone.shape[1:-1])
        return grad, outputs, model.apply(params, fresh, (alone, np.zeros(alone.shape[:-1], bool)))

    grad, (carry, y), (carry_alone, y_alone) = jax.device_get(jit(run)(x))
    for i, episode in enumerate(np.split(y, bounds)):
        np.testing.assert_allclose(episode, y_alone[: lengths[i], i], rtol=1e-5, atol=1e-5)
    assert_trees_close(carry, jax.tree.map(lambda a: a[lengths.index(longest)], carry_alone))
    assert np.all(grad[: -lengths[-1]] == 0)
    assert np.any(grad[-lengths[-1] :] != 0)


def test_parallel_matches_sequential_and_chunks(model, params):
    """The sequence path equals a lax.scan of the single-step path and is chunkable, with
    resets at random places in a stream that arrives with a non-initial carry; memoroids with
    either prefix scan, the linear one also in time blocks with a remainder (values and
    gradients)."""
    batch = (2, 3)
    x, start = random_inputs(4, (24, *batch), start_rate=0.2)
    start[0] = False
    variants = [model]
    if isinstance(model, Memoroid):
        variants = [
            model.clone(prefix_scan="associative"),
            model.clone(prefix_scan="linear"),
            model.clone(prefix_scan="linear", time_block=5),
        ]

    def energy_gradient(carry, method):
        energy = lambda p: jnp.sum(variants[-1].apply(p, carry, (x, start), method=method)[1] ** 2)
        return jax.grad(energy)(params)

    def run(carry):
        steps = model.apply(params, carry, (x, start), method="sequential")
        results = []
        for variant in variants:
            whole = variant.apply(params, carry, (x, start))
            head = variant.apply(params, carry, (x[:10], start[:10]))
            tail = variant.apply(params, head[0], (x[10:], start[10:]))
            results.append((whole, (tail[0], jnp.concatenate([head[1], tail[1]]))))
        gradients = [energy_gradient(carry, method) for method in ("sequential", "__call__")]
        return steps, results, gradients

    steps, results, (step_gradient, gradient) = jit(run)(random_carry(model, batch))
    for whole, chunks in results:
        assert whole[1].shape == (24, *batch, HIDDEN)
        assert_trees_close(whole, steps)
        assert_trees_close(whole, chunks)
    for actual, expected in zip(
        jax.tree.leaves(gradient), jax.tree.leaves(step_gradient), strict=True
    ):
        # float32 sums in another order: relative to the leaf's scale (belief_filter's ~1e3).
        scale = np.abs(expected).max()
        np.testing.assert_allclose(actual, expected, rtol=1e-3, atol=1e-4 * scale)


def test_gradients_finite_over_1000_steps(model, params):
    """Through one 1,000-step episode, the longest path a gradient can take."""
    x, start = random_inputs(5, (1000, 2))
    loss = lambda p: jnp.mean(model.apply(p, model.initialize_carry((2,)), (x, start))[1] ** 2)
    grads = jit(jax.grad(loss))(params)
    leaves = jax.tree.leaves(grads)
    assert all(np.all(np.isfinite(g)) for g in leaves)
    assert any(np.any(g != 0) for g in leaves)


def test_step_is_vmappable_and_deterministic(model, params):
    """vmap of `step` over a batch axis equals the batched step, run after run."""
    x, start = random_inputs(6, (4,), start_rate=0.5)
    step = lambda carry, x, start: model.apply(params, carry, (x, start), method="step")
    both = jit(lambda carry: (jax.vmap(step)(carry, x, start), step(carry, x, start)))
    carry = random_carry(model, (4,))
    mapped, batched = both(carry)
    assert_trees_close(mapped, batched)
    assert_trees_close(mapped, both(carry)[0], tol=0)


def test_unknown_name_lists_valid_ones():
    with pytest.raises(KeyError, match=r"Did you mean 'lru'\?.*gated_delta"):
        MEMORY_MODELS["lur"]


def test_wrong_input_rank_says_what_was_expected(model, params):
    carry = model.initialize_carry((2,))
    with pytest.raises(ValueError, match=r"expected x float\[T, \*batch, d_in\]"):
        model.apply(params, carry, (np.zeros((7, D_IN)), np.zeros((7, 2), bool)))
    with pytest.raises(ValueError, match=r"expected x float\[\*batch, d_in\]"):
        model.apply(params, carry, (np.zeros((2, D_IN)), np.zeros((2, 1), bool)), method="step")
    with pytest.raises(ValueError, match=r"carry leaves must have shape \[\*batch, ...\]"):
        model.apply(params, carry, (np.zeros((7, 3, D_IN)), np.zeros((7, 3), bool)))


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        ("rtu", {"hidden_size": 15}, "must be even"),
        ("gated_delta", {"hidden_size": 10, "num_heads": 4}, "multiple of num_heads"),
        ("windowed_attention", {"hidden_size": 8, "max_length": 0}, "max_length must be >= 1"),
        ("transformer", {"hidden_size": 8, "overflow": "wrap"}, "overflow must be one of"),
        ("linear_ttt", {"hidden_size": 10, "num_heads": 4}, "multiple of num_heads"),
        ("linear_attention", {"hidden_size": 8, "chunk_size": 0}, "chunk_size must be >= 1"),
        ("lru", {"hidden_size": 8, "prefix_scan": "fast"}, "prefix_scan must be one of"),
        ("mingru", {"hidden_size": 8, "time_block": 0}, "time_block must be >= 1"),
    ],
)
def test_bad_config_is_a_clear_error(name, config, message):
    model = MEMORY_MODELS[name](**config)
    with pytest.raises(ValueError, match=message):
        init(model, jax.random.key(0))


# For d_in = 5, hidden = 16; e.g. rtu: 2n (nu, theta_log) + 2 n d_in (w1, w2) with n = 8.
PARAMETER_COUNTS = {
    "gru": 1072,
    "mingru": 192,
    "lru": 1184,
    "rtu": 96,
    "nonlinear_rtu": 96,
    "linear_attention": 512,
    "gated_delta": 560,
    "linear_ttt": 600,
    "transformer": 544,
    "windowed_attention": 532,
    "belief_filter": 704,
    "none": 368,
}


def test_parameter_counts_are_pinned(name, params):
    assert sum(p.size for p in jax.tree.leaves(params)) == PARAMETER_COUNTS[name]
