"""Saliency, recall density and OOD injection on policies whose memory is known by construction."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from baselines.agents.networks import Agent, as_policy
from popgym_arcade_twins import diagnostics
from popgym_arcade_twins.harness import Policy

WEIGHTS = jax.random.normal(jax.random.key(0), (5, 4, 4, 3))  # one linear read-out per action


def read_out(frames):  # [B, 4, 4, 3] -> [B, 5]
    return jnp.einsum("bhwc,ahwc->ba", frames.astype(jnp.float32), WEIGHTS)


def last_frame_policy() -> Policy:
    """Sees only the current frame."""
    return Policy(
        lambda p, carry, obs, start: (carry, read_out(obs)), lambda shape: jnp.zeros(shape)
    )


def averaging_policy() -> Policy:
    """Reads the mean of every frame of the episode so far, each weighed equally."""

    def apply(params, carry, obs, start):
        total, count = carry
        keep = ~start[:, None, None, None]
        total = jnp.where(keep, total, 0.0) + obs.astype(jnp.float32)
        count = jnp.where(start, 0.0, count) + 1.0
        return (total, count), read_out(total / count[:, None, None, None])

    return Policy(apply, lambda shape: (jnp.zeros((*shape, 4, 4, 3)), jnp.zeros(shape)))


def trajectories(count, steps, key=1):
    obs = jax.random.randint(jax.random.key(key), (count, steps, 4, 4, 3), 0, 256, jnp.int32)
    start = jnp.zeros((count, steps), bool).at[:, 0].set(True)
    return obs.astype(jnp.uint8), start


def test_recall_density_of_a_last_frame_policy_sits_at_one():
    obs, start = trajectories(3, 20)
    density = diagnostics.recall_density(
        last_frame_policy(), None, obs, start, jnp.array([20, 10, 15]), num_bins=5
    )
    np.testing.assert_allclose(density, [0, 0, 0, 0, 5], atol=1e-6)


def test_recall_density_of_an_averaging_policy_is_flat():
    obs, start = trajectories(3, 20)
    density = diagnostics.recall_density(
        averaging_policy(), None, obs, start, jnp.array([20, 10, 15]), num_bins=5
    )
    np.testing.assert_allclose(density, np.ones(5), rtol=1e-5)


def first_frame_policy() -> Policy:
    """Remembers the episode's first frame and reads only that."""

    def apply(params, carry, obs, start):
        carry = jnp.where(start[:, None, None, None], obs.astype(jnp.float32), carry)
        return carry, read_out(carry)

    return Policy(apply, lambda shape: jnp.zeros((*shape, 4, 4, 3)))


def test_recall_density_of_a_first_frame_policy_sits_at_the_start():
    obs, start = trajectories(3, 20)
    density = diagnostics.recall_density(
        first_frame_policy(), None, obs, start, jnp.array([20, 10, 15]), num_bins=5
    )
    np.testing.assert_allclose(density, [5, 0, 0, 0, 0], atol=1e-6)


@functools.cache  # one initialization per memory serves every test
def agent_policy(memory: str):
    agent = Agent(memory, hidden_size=16, num_actions=5)
    frames = jnp.zeros((1, 32, 32, 3), jnp.uint8)
    params = agent.init(
        jax.random.key(0),
        agent.initialize_carry((1,)),
        frames,
        jnp.ones(1, bool),
        method=Agent.step,
    )
    obs = jax.random.randint(jax.random.key(2), (8, 32, 32, 3), 0, 256).astype(jnp.uint8)
    start = jnp.zeros(8, bool).at[0].set(True)
    return as_policy(agent), params, obs, start


def test_saliency_of_a_memoryless_agent_is_zero_on_past_frames():
    policy, params, obs, start = agent_policy("none")
    saliency = np.asarray(diagnostics.saliency(policy, params, obs, start, 6))
    assert saliency.shape == (8, 32, 32)
    assert np.all(saliency[:5] == 0) and np.all(saliency[6:] == 0)
    assert saliency[5].sum() > 0


def test_saliency_of_a_recurrent_agent_reaches_past_frames():
    policy, params, obs, start = agent_policy("gru")
    saliency = np.asarray(diagnostics.saliency(policy, params, obs, start, 6))
    assert np.all(saliency[:5].sum(axis=(1, 2)) > 0) and np.all(saliency[6:] == 0)


@pytest.mark.parametrize("memory", ["none", "gru"])
def test_ood_injection_moves_memory_models_only_after_the_injected_step(memory):
    policy, params, obs, start = agent_policy(memory)
    perturbed = diagnostics.inject_noise(jax.random.key(5), obs, 3)
    obs, perturbed = np.asarray(obs), np.asarray(perturbed)
    assert np.any(perturbed[3] != obs[3])
    assert np.array_equal(np.delete(perturbed, 3, 0), np.delete(obs, 3, 0))
    change, _ = diagnostics.ood_effect(policy, params, obs, start, perturbed)
    change = np.asarray(change)
    assert np.all(change[:3] == 0) and change[3] > 0
    if memory == "none":
        assert np.all(change[4:] == 0)
    else:
        assert np.all(change[4:] > 0)


def test_shuffle_prefix_permutes_only_the_prefix():
    obs = jnp.arange(10)
    shuffled = np.asarray(diagnostics.shuffle_prefix(jax.random.key(0), obs, 6))
    assert sorted(shuffled[:6]) == list(range(6)) and list(shuffled[6:]) == [6, 7, 8, 9]
    assert list(shuffled[:6]) != list(range(6))


@pytest.mark.parametrize(
    "policy, expected", [(last_frame_policy, 0.0), (averaging_policy, 13 / 20)]
)
def test_early_mass_is_zero_for_a_last_frame_policy_and_the_early_share_for_an_average(
    policy, expected
):
    obs, start = trajectories(2, 20)
    lengths = jnp.array([20, 20])
    gradients = jax.vmap(diagnostics.pixel_gradients, (None, None, 0, 0, 0))(
        policy(), None, obs.astype(jnp.float32), start, lengths
    )
    mass = diagnostics.early_mass(gradients, lengths)  # frames t/n < 0.66: t = 1..13 of 20
    np.testing.assert_allclose(mass, [expected, expected], atol=1e-5)


def test_ood_summary_counts_only_the_window_after_the_perturbation():
    obs, start = trajectories(1, 12)
    obs, start = obs[0], start[0]
    perturbed = diagnostics.inject_noise(jax.random.key(3), obs, 6)

    def summary(policy, first):
        clean = diagnostics.scores_along(policy, None, obs, start)
        moved = diagnostics.scores_along(policy, None, perturbed, start)
        return diagnostics.ood_summary(clean, moved, first, 3, 12)

    relative, changed = summary(last_frame_policy(), 6)
    assert relative > 0.1  # the injected frame itself is in the window
    later, never = summary(last_frame_policy(), 7)
    assert later == 0 and never == 0  # a last-frame policy forgets the noise at once
    remembered, _ = summary(averaging_policy(), 7)
    assert remembered > 0
