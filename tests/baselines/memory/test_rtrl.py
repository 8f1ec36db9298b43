"""Exact RTRL in the streaming agent: online gradients equal backprop through time, and the
sensitivities restart with every episode."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from baselines.agents.config import StreamQConfig
from baselines.agents.networks import Agent
from baselines.agents.streaming import differentiable_step
from baselines.memory import rtrl
from tests.baselines.memory.memory_utils import assert_trees_close, jit

D_OBS, HIDDEN, ACTIONS, T = 4, 16, 3, 20


def random_stream(seed: int, starts: tuple[int, ...]):
    """obs float32[T, 1, D_OBS], start bool[T, 1] True at `starts`, cotangents float32[T, 1, A]."""
    rng = np.random.default_rng(seed)
    start = np.zeros((T, 1), bool)
    start[list(starts)] = True
    obs = rng.standard_normal((T, 1, D_OBS)).astype(np.float32)
    return obs, start, rng.standard_normal((T, 1, ACTIONS)).astype(np.float32)


def random_carry(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (
        0.5 * (rng.standard_normal((1, HIDDEN // 2)) + 1j * rng.standard_normal((1, HIDDEN // 2)))
    ).astype(np.complex64)


def online(network, gradient, params, carry, sensitivities, obs, start, cotangents):
    """Sum over steps of the gradients of <cotangent_t, q_t> from `differentiable_step`, and the
    final sensitivities."""

    def body(state, inputs):
        carry, sensitivities, total = state
        q, pullback, carry, sensitivities = differentiable_step(
            network, gradient, params, carry, sensitivities, *inputs[:2]
        )
        return (carry, sensitivities, jax.tree.map(jnp.add, total, pullback(inputs[2]))), None

    zero = jax.tree.map(jnp.zeros_like, params)
    (_, sensitivities, total), _ = jax.lax.scan(
        body, (carry, sensitivities, zero), (obs, start, cotangents)
    )
    return total, sensitivities


@pytest.mark.parametrize("memory", ["rtu", "nonlinear_rtu"])
def test_rtrl_gradients_equal_backprop_through_time(memory):
    """Loss sum_t <c_t, Q_t> over a stream entering with a non-initial carry and restarting
    twice: RTRL's gradients of the RTU parameters, and of the heads, equal those of backprop
    through the whole stream; TBPTT(1) gets the heads right and the memory wrong. The encoder,
    which feeds the memory, gets its gradient through step t alone under both (tracing it exactly
    would take n x |encoder| sensitivities)."""
    network = Agent(memory, HIDDEN, ACTIONS, pixels=False)
    obs, start, cotangents = random_stream(0, starts=(7, 13))
    carry = random_carry(1)
    params = network.init(jax.random.key(2), carry, obs[:1], start[:1])

    def bptt(params):
        _, q = network.apply(params, carry, obs, start)
        return jnp.sum(q * cotangents)

    def run():
        sensitivities = rtrl.zeros(params["params"]["memory_model"], (1,))
        exact, _ = online(network, "rtrl", params, carry, sensitivities, obs, start, cotangents)
        truncated, _ = online(network, "tbptt1", params, carry, (), obs, start, cotangents)
        return jax.grad(bptt)(params)["params"], exact["params"], truncated["params"]

    full, exact, truncated = jit(run)()
    assert_trees_close(exact["memory_model"], full["memory_model"])
    for head in ("torso", "norm", "q_head"):
        assert_trees_close(exact[head], full[head])
        assert_trees_close(truncated[head], full[head])
    assert_trees_close(exact["encoder"], truncated["encoder"])
    gap = jax.tree.map(
        lambda a, b: np.max(np.abs(a - b)), truncated["memory_model"], full["memory_model"]
    )
    assert max(jax.tree.leaves(gap)) > 1e-2


def test_sensitivities_restart_at_episode_starts():
    """After a start, sensitivities and gradients are those of the new episode alone: nothing
    from the carry or the sensitivities of the episode before survives."""
    network = Agent("nonlinear_rtu", HIDDEN, ACTIONS, pixels=False)
    obs, start, cotangents = random_stream(3, starts=(9,))
    params = network.init(jax.random.key(4), random_carry(5), obs[:1], start[:1])
    zeros = rtrl.zeros(params["params"]["memory_model"], (1,))
    rng = np.random.default_rng(6)
    noisy = jax.tree.map(
        lambda z: (rng.standard_normal(z.shape) + 1j * rng.standard_normal(z.shape)).astype(
            np.complex64
        ),
        zeros,
    )
    episode_two = np.arange(T) >= 9
    masked = cotangents * episode_two[:, None, None]

    def run():
        stream = online(network, "rtrl", params, random_carry(5), noisy, obs, start, masked)
        alone = online(
            network,
            "rtrl",
            params,
            network.initialize_carry((1,)),
            zeros,
            obs[9:],
            start[9:],
            cotangents[9:],
        )
        return stream, alone

    (stream_grads, stream_sens), (alone_grads, alone_sens) = jit(run)()
    assert_trees_close(stream_sens, alone_sens)
    assert_trees_close(stream_grads, alone_grads)
    assert np.any(np.asarray(stream_sens.w1) != 0)


def test_rtrl_and_the_ring_option_are_only_for_rtus():
    with pytest.raises(ValueError, match="exact RTRL is implemented for"):
        StreamQConfig(memory="gru")
    with pytest.raises(ValueError, match="rtu_r_max applies to"):
        StreamQConfig(memory="gru", gradient="tbptt1", rtu_r_max=0.5)
    assert StreamQConfig(memory="gru", gradient="tbptt1").memory_options == ()
    network = Agent(
        "rtu", 64, ACTIONS, pixels=False, memory_options=StreamQConfig(rtu_r_max=0.5).memory_options
    )
    obs, start, _ = random_stream(0, starts=(0,))
    carry = network.initialize_carry((1,))
    params = jit(network.init)(jax.random.key(0), carry, obs[:1], start[:1])
    radius = np.exp(-np.exp(params["params"]["memory_model"]["nu"]))
    assert np.all(radius <= 0.5) and np.max(radius) > 0.4
