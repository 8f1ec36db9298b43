"""Learning checks on a copy task: every model with memory learns to recall the first input
20 steps later, the memoryless one cannot; LRU/RTU eigenvalues stay in the unit disk."""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from baselines.memory import MEMORY_MODELS, MemoryModel
from baselines.memory.diagonal import eigenvalues
from tests.baselines.memory.memory_utils import jit

CLASSES, DELAY, BATCH, STEPS = 4, 20, 64, 200


def copy_batch(key: jax.Array):
    """BATCH episodes: x float32[DELAY + 1, BATCH, CLASSES + 1] holds a one-hot label at t = 0
    and zeros after, plus a constant channel of ones; start is True at t = 0."""
    labels = jax.random.randint(key, (BATCH,), 0, CLASSES)
    x = jnp.zeros((DELAY + 1, BATCH, CLASSES)).at[0].set(jax.nn.one_hot(labels, CLASSES))
    x = jnp.concatenate([x, jnp.ones((DELAY + 1, BATCH, 1))], axis=-1)
    # Derived from the labels, so that XLA does not spend seconds constant-folding the flags.
    start = jnp.zeros((DELAY + 1, BATCH), bool).at[0].set(labels >= 0)
    return x, start, labels


class Recall(nn.Module):
    """Memory, then a linear read of the label from the last step's output."""

    memory: MemoryModel

    @nn.compact
    def __call__(self, x: jax.Array, start: jax.Array) -> jax.Array:
        _, y = self.memory(self.memory.initialize_carry(start.shape[1:]), (x, start))
        return nn.Dense(CLASSES)(y[-1])


@functools.cache
def train(name: str):
    """Adam (lr 1e-2) on the copy task with hidden 32. Returns the initial and trained
    parameters and the accuracy over the last 20 steps, each measured on a fresh batch before
    training on it. Cached: one run per model serves every test."""
    options = {"max_length": DELAY + 1} if name == "transformer" else {}  # the episode fits
    net = Recall(MEMORY_MODELS[name](hidden_size=32, **options))
    optimizer = optax.adam(1e-2)

    def loss(params, key):
        x, start, labels = copy_batch(key)
        logits = net.apply(params, x, start)
        accuracy = jnp.mean(jnp.argmax(logits, -1) == labels)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean(), accuracy

    def update(state, key):
        params, opt_state = state
        grads, accuracy = jax.grad(loss, has_aux=True)(params, key)
        updates, opt_state = optimizer.update(grads, opt_state)
        return (optax.apply_updates(params, updates), opt_state), accuracy

    def run(params, key):
        state = (params, optimizer.init(params))
        (trained, _), accuracy = jax.lax.scan(update, state, jax.random.split(key, STEPS))
        return trained, accuracy[-20:].mean()

    init_key, train_key = jax.random.split(jax.random.key(0))
    params = jit(net.init)(init_key, *copy_batch(init_key)[:2])
    return params, *jit(run, level=1)(params, train_key)


@pytest.mark.parametrize(
    "name",  # by default the control, a gated RNN and a memoroid; CI trains every model
    [
        n if n in ("none", "gru", "lru") else pytest.param(n, marks=pytest.mark.slow)
        for n in MEMORY_MODELS
    ],
)
def test_copy_task_needs_memory(name):
    """Memory models reach >= 95% accuracy; `none` (chance 25%) must stay below 50%."""
    _, _, accuracy = train(name)
    if name == "none":
        assert accuracy < 0.5
    else:
        assert accuracy >= 0.95


@pytest.mark.parametrize("name", ["lru", "rtu"])
def test_eigenvalues_stay_in_the_unit_disk_after_training(name):
    """|lambda| = exp(-exp(nu)) stays <= 1 (< 1 exactly while nu is finite) as training moves nu."""
    initial, trained = (params["params"]["memory"] for params in train(name)[:2])
    assert np.any(trained["nu"] != initial["nu"])
    assert np.all(np.isfinite(trained["nu"]))
    assert np.all(np.abs(eigenvalues(trained["nu"], trained["theta_log"])) <= 1)
