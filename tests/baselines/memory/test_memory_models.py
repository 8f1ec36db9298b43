"""Model-specific properties from docs/models.md: delta-rule retrieval, the linear-attention
normalizer, the belief filter reproducing an HMM's Bayes filter; the transformer's and linear
TTT's defining equations against direct loops."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from baselines.memory import MEMORY_MODELS
from baselines.memory.gated_delta import (
    GatedDeltaNet,
    delta_element,
    delta_update,
    unit_lower_inverse,
)
from tests.baselines.memory.memory_utils import assert_trees_close, init, jit, random_inputs


def test_delta_rule_retrieves_the_written_value():
    """With alpha = beta = 1 and a unit key, S_t k_t = v_t whatever S_{t-1} was, in the step
    form, the element form and after a combine (docs/models.md §8)."""
    rng = np.random.default_rng(0)
    heads, d = 3, 8
    s = rng.standard_normal((heads, d, d)).astype(np.float32)
    k = rng.standard_normal((2, heads, d)).astype(np.float32)
    k /= np.linalg.norm(k, axis=-1, keepdims=True)
    v = rng.standard_normal((2, heads, d)).astype(np.float32)
    one = np.ones(heads, np.float32)

    def states():
        first, second = (delta_element(one, one, k[i], v[i]) for i in range(2))
        return (
            delta_update(s, one, one, k[1], v[1]),
            GatedDeltaNet.absorb(s, second),
            GatedDeltaNet.absorb(s, GatedDeltaNet.combine(first, second)),
        )

    for state in jit(states)():
        np.testing.assert_allclose(np.einsum("hvk,hk->hv", state, k[1]), v[1], atol=1e-5)


def test_unit_lower_inverse_and_its_gradient_match_a_dense_inverse():
    """The chunked Gated DeltaNet inverts I + n row by row, with a hand-written backward pass."""
    rng = np.random.default_rng(0)
    n = np.tril(rng.standard_normal((3, 6, 6)), -1).astype(np.float32)
    weights = rng.standard_normal((3, 6, 6)).astype(np.float32)
    dense = lambda n: jnp.linalg.inv(np.eye(6, dtype=np.float32) + n)
    inverse_and_grad = lambda inverse: (
        inverse(n),
        jax.grad(lambda n: jnp.sum(inverse(n) * weights))(n),
    )
    actual, expected = jit(
        lambda: (inverse_and_grad(unit_lower_inverse), inverse_and_grad(dense))
    )()
    assert_trees_close(actual, expected)


def test_linear_attention_equals_the_explicit_normalized_sum():
    """y_t = W_o [sum_{i<=t} (phi(q_t).phi(k_i)) v_i / (sum_{i<=t} phi(q_t).phi(k_i) + eps)]."""
    model = MEMORY_MODELS["linear_attention"](hidden_size=16, chunk_size=5)
    params = init(model, jax.random.key(0))
    x, start = random_inputs(1, (12,))

    def both(module, x, start):
        phi_q, phi_k, v = module.features(x)  # [T, heads, d]
        weights = np.tril(np.ones((len(x), len(x))))[:, None, :] * jnp.einsum(
            "thd,shd->ths", phi_q, phi_k
        )
        attended = jnp.einsum("ths,shd->thd", weights, v)
        attended /= weights.sum(-1)[..., None] + module.eps
        explicit = module.out(attended.reshape(len(x), -1))
        return explicit, module(module.initialize_carry(()), (x, start))[1]

    explicit, y = jit(lambda: model.apply(params, x, start, method=both))()
    np.testing.assert_allclose(y, explicit, rtol=1e-5, atol=1e-5)


def hmm_example(rng: np.random.Generator, length: int):
    """A deterministic 4-state HMM (state i -> i + 1 mod 4, 3 observations): its emission
    matrix, an observation sequence and the Bayes filter's beliefs from a uniform prior."""
    states, observations = 4, 3
    transition = np.eye(states)[(np.arange(states) + 1) % states]  # T[i, j] = P(j | i)
    emission = rng.dirichlet(np.ones(observations), size=states)  # O[s, o]
    state, obs, beliefs = rng.integers(states), [], []
    belief = np.full(states, 1 / states)
    for _ in range(length):
        obs.append(rng.choice(observations, p=emission[state]))
        belief = emission[:, obs[-1]] * (transition.T @ belief if beliefs else belief)
        belief /= belief.sum()
        beliefs.append(belief)
        state = (state + 1) % states
    return transition, emission, np.array(obs), np.array(beliefs)


def test_belief_filter_reproduces_hmm_beliefs():
    """Hand-set weights (docs/models.md §10): logits l_t = T^-1 l_{t-1} + log O(o_t | .)
    diagonalized as T^-1 = V diag(lambda) V^-1 with |lambda| = 1; softmax(y_t) is the Bayes
    belief."""
    transition, emission, obs, beliefs = hmm_example(np.random.default_rng(0), length=30)
    lam, vectors = np.linalg.eig(transition.T)  # T^-1 = T^T for a permutation
    b = np.linalg.inv(vectors) @ np.log(emission)  # [state, observation]
    kernel = lambda m: {"kernel": m.T.astype(np.float32)}
    with np.errstate(divide="ignore"):  # lambda = 1 has phase 0: theta_log = -inf
        theta_log = np.log(np.angle(lam) % (2 * np.pi)).astype(np.float32)
    params = {
        "params": {
            "nu": np.full(4, -np.inf, np.float32),  # |lambda| = exp(-exp(nu)) = 1
            "theta_log": theta_log,
            "B_re": kernel(b.real),
            "B_im": kernel(b.imag),
            "C_re": kernel(vectors.real),
            "C_im": kernel(vectors.imag),
        }
    }
    model = MEMORY_MODELS["belief_filter"](hidden_size=4)
    x = np.eye(3, dtype=np.float32)[obs]
    start = np.arange(len(obs)) == 0
    _, logits = jit(lambda: model.apply(params, model.initialize_carry(()), (x, start)))()
    np.testing.assert_allclose(jax.nn.softmax(logits), beliefs, atol=1e-5)


def with_params(params, **values):
    """`params` with some of its top-level parameters replaced."""
    return {"params": {**params["params"], **jax.tree.map(jnp.asarray, values)}}


def episode_starts(lengths: tuple[int, ...]) -> np.ndarray:
    """bool[sum(lengths)], True at the first step of each episode."""
    return np.isin(np.arange(sum(lengths)), np.r_[0, np.cumsum(lengths)[:-1]])


@pytest.mark.parametrize(("overflow", "max_length"), [("error", 10), ("window", 4)])
def test_transformer_is_softmax_attention_over_each_episode(overflow, max_length):
    """y_t = W_o [sum_s softmax_s(q_t . k_s / sqrt(d) + b[t - s]) v_s] over the steps s <= t of
    t's episode with t - s < max_length, as a loop per episode, equals the sequence path run in
    two calls (the second reading the cache the first left, mid-episode) and the step path.
    Episodes of exactly max_length steps do not overflow."""
    model = MEMORY_MODELS["transformer"](hidden_size=16, max_length=max_length, overflow=overflow)
    bias = np.random.default_rng(0).standard_normal((4, max_length)).astype(np.float32)
    params = with_params(init(model, jax.random.key(0)), age_bias=bias)
    lengths = (7, 10, 7)
    x, _ = random_inputs(1, (sum(lengths),))
    start = episode_starts(lengths)

    def loop(module):
        q, k, v = (f(x).reshape(len(x), 4, -1) for f in (module.query, module.key, module.value))
        o = []
        for first, length in zip(np.flatnonzero(start), lengths, strict=True):
            for t in range(first, first + length):
                s = np.arange(max(first, t - max_length + 1), t + 1)
                scores = jnp.einsum("hd,shd->hs", q[t], k[s]) / np.sqrt(q.shape[-1])
                probs = jax.nn.softmax(scores + module.age_bias[:, t - s], axis=-1)
                o.append(jnp.einsum("hs,shd->hd", probs, v[s]))
        return module.out(jnp.stack(o).reshape(len(x), -1))

    def paths():
        fresh = model.initialize_carry(())
        carry, head = model.apply(params, fresh, (x[:9], start[:9]))
        tail = model.apply(params, carry, (x[9:], start[9:]))[1]
        steps = model.apply(params, fresh, (x, start), method="sequential")[1]
        return model.apply(params, method=loop), jnp.concatenate([head, tail]), steps

    explicit, sequence, steps = jit(paths)()
    np.testing.assert_allclose(sequence, explicit, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(steps, explicit, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("method", ["__call__", "sequential"])
def test_transformer_raises_when_an_episode_outgrows_its_cache(method):
    """With overflow "error" (the default), the step that would push a step of its own episode
    out of the cache raises at run time, in the sequence path and in `step` (which `sequential`
    scans), also when the full cache is carried in; a start in time raises nothing."""
    model = MEMORY_MODELS["transformer"](hidden_size=16, max_length=4)
    params = init(model, jax.random.key(0))
    x, _ = random_inputs(2, (8, 2))
    fresh = model.initialize_carry((2,))
    run = jit(functools.partial(model.apply, params, method=method))
    two_episodes = np.repeat(episode_starts((4, 4))[:, None], 2, axis=1)
    full, _ = jax.block_until_ready(run(fresh, (x, two_episodes)))
    one_episode = np.zeros((5, 2), bool)
    one_episode[0] = True
    message = r"outgrew the KV cache \(max_length=4\)"
    overflow = pytest.raises(jax.errors.JaxRuntimeError, match=message)
    with overflow:
        jax.block_until_ready(run(fresh, (x[:5], one_episode)))
    with overflow:  # only the second episode of the batch goes on
        jax.block_until_ready(run(full, (x[:1], np.array([[True, False]]))))


def test_transformer_attends_over_a_whole_1000_step_episode():
    """With max_length 1000, the last step of a 1000-step episode reads the first one (a
    nonzero, finite gradient), and the full cache raises nothing."""
    model = MEMORY_MODELS["transformer"](hidden_size=16, max_length=1000)
    params = init(model, jax.random.key(0))
    x, start = random_inputs(5, (1000, 2))
    last = lambda x: jnp.sum(model.apply(params, model.initialize_carry((2,)), (x, start))[1][-1])
    grad = jit(jax.grad(last))(x)
    assert np.all(np.isfinite(grad))
    assert np.all(np.any(grad[0] != 0, axis=-1))


def test_linear_ttt_takes_one_inner_gradient_step_per_token():
    """W_t = W_{t-1} - eta_t grad_W 1/2 ||W k_t - v_t||^2 (jax.grad of the inner loss), from the
    learned W_0 at every start, and y_t = W_o [W_t q_t]: a loop against the chunked sequence
    path and the step path, outputs and the carry W - W_0."""
    model = MEMORY_MODELS["linear_ttt"](hidden_size=16, chunk_size=5)
    initial = np.random.default_rng(0).standard_normal((4, 4, 4)).astype(np.float32)
    params = with_params(init(model, jax.random.key(0)), initial=initial)
    lengths = (7, 9)
    x, _ = random_inputs(1, (sum(lengths),))
    start = episode_starts(lengths)
    inner_loss = lambda w, k, v: 0.5 * jnp.sum((w @ k - v) ** 2)
    inner_grad = jax.vmap(jax.grad(inner_loss))  # over heads

    def loop(module):
        q, k, v, eta = module.views(x)  # [T, heads, d], eta [T, heads]
        w, z = module.initial, []
        for t in range(len(x)):
            w = module.initial if start[t] else w
            w = w - eta[t][:, None, None] * inner_grad(w, k[t], v[t])
            z.append(jnp.einsum("hvk,hk->hv", w, q[t]))
        return w - module.initial, module.out(jnp.stack(z).reshape(len(x), -1))

    def paths():
        fresh = model.initialize_carry(())
        return [
            model.apply(params, fresh, (x, start), method=method)
            for method in ("__call__", "sequential")
        ]

    explicit = jit(lambda: model.apply(params, method=loop))()
    for result in jit(paths)():
        assert_trees_close(result, explicit)
