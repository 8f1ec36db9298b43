"""Model-specific properties from docs/models.md: delta-rule retrieval, the linear-attention
normalizer, and the belief filter reproducing an HMM's Bayes filter."""

import jax
import jax.numpy as jnp
import numpy as np

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
