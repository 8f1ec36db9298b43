"""The agent network: patch encoder, and the step path agreeing with the sequence path."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from baselines.agents.config import DQNConfig, PPOConfig, PQNConfig, StreamQConfig
from baselines.agents.networks import Agent, Encoder, as_policy, average_pool, patches
from baselines.agents.registry import make_trainer
from popgym_arcade_twins import tasks
from tests.compiling import jit


def test_patches_equal_a_convolution_whose_kernel_is_its_stride():
    x = jax.random.uniform(jax.random.key(0), (2, 8, 8, 3))
    conv = nn.Conv(5, (4, 4), strides=4, padding="VALID")
    params = conv.init(jax.random.key(1), x)
    kernel, bias = params["params"]["kernel"], params["params"]["bias"]
    via_patches = patches(x, 4) @ kernel.reshape(-1, 5) + bias
    np.testing.assert_allclose(via_patches, conv.apply(params, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [32, 64, 128])
def test_encoder_takes_any_power_of_two_frame(size):
    frames = jnp.zeros((3, 2, size, size, 3), jnp.uint8)
    params = Encoder(16).init(jax.random.key(0), frames)
    assert Encoder(16).apply(params, frames).shape == (3, 2, 16)


def test_encoder_rejects_other_frames():
    with pytest.raises(ValueError, match="power of 2"):
        Encoder(16).init(jax.random.key(0), jnp.zeros((2, 48, 48, 3), jnp.uint8))


def test_encoder_norm_normalizes_every_layer_before_its_relu():
    frames = jax.random.randint(jax.random.key(0), (2, 64, 64, 3), 0, 256).astype(jnp.uint8)
    encoder = Encoder(16, norm=True)
    params = encoder.init(jax.random.key(1), frames)
    features, state = encoder.apply(params, frames, capture_intermediates=True)
    dense = [state["intermediates"][f"Dense_{i}"]["__call__"][0] for i in range(3)]
    normed = [state["intermediates"][f"LayerNorm_{i}"]["__call__"][0] for i in range(3)]
    for before, after in zip(dense, normed, strict=True):
        standardized = (before - before.mean(-1, keepdims=True)) / jnp.sqrt(
            before.var(-1, keepdims=True) + 1e-6
        )  # LayerNorm's initial scale and bias are the identity
        np.testing.assert_allclose(after, standardized, atol=1e-3)
    np.testing.assert_allclose(features, jax.nn.relu(normed[2]))
    assert "LayerNorm_0" not in Encoder(16).init(jax.random.key(1), frames)["params"]


PAPER_SHAPE = {"num_layers": 2, "previous_action": True, "residual": True}


def _tape(key, steps=6, batch=3, actions=5):
    key_obs, key_start, key_action = jax.random.split(key, 3)
    obs = jax.random.randint(key_obs, (steps, batch, 32, 32, 3), 0, 256).astype(jnp.uint8)
    start = jax.random.bernoulli(key_start, 0.3, (steps, batch)).at[0].set(True)
    prev_action = jax.random.randint(key_action, (steps, batch), 0, actions)
    return obs, start, prev_action


@pytest.mark.parametrize(
    ("memory", "head", "shape"),
    [
        ("gru", "q", {}),
        ("lru", "actor_critic", {}),
        ("none", "q", {}),
        ("lru", "q", PAPER_SHAPE),
        ("gru", "actor_critic", PAPER_SHAPE),
        ("none", "q", PAPER_SHAPE),
    ],
)
def test_step_path_matches_sequence_path(memory, head, shape):
    agent = Agent(memory, 16, 5, head=head, **shape)
    obs, start, prev_action = _tape(jax.random.key(0))
    carry = agent.initialize_carry((3,))

    def both_paths(key):
        params = agent.init(key, carry, obs, start, prev_action)
        final, sequence = agent.apply(params, carry, obs, start, prev_action)
        one = lambda carry, inputs: agent.apply(params, carry, *inputs, method=Agent.step)
        final_stepped, stepped = jax.lax.scan(one, carry, (obs, start, prev_action))
        return (sequence, final), (stepped, final_stepped)

    pairs = zip(*map(jax.tree.leaves, jit(both_paths)(jax.random.key(1))), strict=True)
    for a, b in pairs:
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_stack_carries_one_state_per_layer():
    carry = Agent("gru", 16, 5, num_layers=3).initialize_carry((2,))
    assert isinstance(carry, tuple) and [leaf.shape for leaf in carry] == [(2, 16)] * 3
    assert Agent("gru", 16, 5).initialize_carry((2,)).shape == (2, 16)


def test_previous_action_changes_the_output_except_at_an_episode_start():
    agent = Agent("lru", 16, 5, **PAPER_SHAPE)
    obs, _, prev_action = _tape(jax.random.key(2))
    start = jnp.zeros(obs.shape[:2], bool).at[0].set(True)
    carry = agent.initialize_carry((3,))
    params = jit(agent.init)(jax.random.key(3), carry, obs, start, prev_action)
    _, q = jit(agent.apply)(params, carry, obs, start, prev_action)
    _, q_other = jit(agent.apply)(params, carry, obs, start, (prev_action + 1) % 5)
    np.testing.assert_allclose(q[0], q_other[0])  # start: the previous action is not shown
    assert not np.allclose(q[1:], q_other[1:], atol=1e-4)
    with pytest.raises(ValueError, match="prev_action"):
        agent.apply(params, carry, obs, start)


def test_a_start_resets_every_layer():
    agent = Agent("gru", 16, 5, **PAPER_SHAPE)
    obs, _, prev_action = _tape(jax.random.key(4), steps=4)
    start = jnp.zeros(obs.shape[:2], bool).at[0].set(True).at[2].set(True)
    carry = agent.initialize_carry((3,))
    params = jit(agent.init)(jax.random.key(5), carry, obs, start, prev_action)
    _, q = jit(agent.apply)(params, carry, obs, start, prev_action)
    _, q_fresh = jit(agent.apply)(params, carry, obs[2:], start[2:], prev_action[2:])
    np.testing.assert_allclose(q[2:], q_fresh, rtol=1e-5, atol=1e-6)


def test_policy_feeds_back_its_greedy_action():
    agent = Agent("lru", 16, 5, **PAPER_SHAPE)
    obs, start, prev_action = _tape(jax.random.key(6))
    start = start.at[1:].set(False)
    carry = agent.initialize_carry((3,))
    params = agent.init(jax.random.key(7), carry, obs, start, prev_action)
    policy = as_policy(agent)

    def one(carry, inputs):
        return policy.apply(params, carry, *inputs)

    _, scores = jax.lax.scan(one, policy.initialize_carry((3,)), (obs, start))
    greedy = jnp.argmax(scores, -1)
    previous = jnp.concatenate([jnp.zeros_like(greedy[:1]), greedy[:-1]])
    _, q = agent.apply(params, carry, obs, start, previous)
    np.testing.assert_allclose(scores, q, rtol=1e-4, atol=1e-5)


def test_average_pool_is_the_block_mean():
    frames = jax.random.randint(jax.random.key(0), (2, 8, 8, 3), 0, 256).astype(jnp.uint8)
    expected = frames.astype(jnp.float32).reshape(2, 4, 2, 4, 2, 3).mean(axis=(2, 4)) / 255
    np.testing.assert_allclose(average_pool(frames, 2), expected, rtol=1e-6)
    np.testing.assert_allclose(average_pool(frames, 1), frames / 255, rtol=1e-6)


def test_a_step_is_encode_remember_heads_and_memory_parameters_are_what_remember_reads():
    agent = Agent("rtu", 16, 3, pixels=False)
    obs = jax.random.normal(jax.random.key(0), (2, 4))
    start = jnp.array([True, False])
    carry = agent.initialize_carry((2,)) + (0.5 + 0.5j)  # a carry every parameter acts on
    params = agent.init(jax.random.key(1), carry, obs[None], start[None])
    apply = jit(agent.apply, static_argnames="method")  # one program per method, not per op
    features = apply(params, obs, method=Agent.encode)
    new_carry, remembered = apply(params, carry, features, start, method=Agent.remember)
    q = apply(params, features, remembered, method=Agent.heads)
    stepped = apply(params, carry, obs, start, method=Agent.step)
    for a, b in zip(jax.tree.leaves((new_carry, q)), jax.tree.leaves(stepped), strict=True):
        np.testing.assert_array_equal(a, b)

    def used_by(loss):  # which parameters `loss` depends on
        return jax.tree.map(lambda g: bool(jnp.any(g != 0)), jit(jax.grad(loss))(params))

    def memory_output(params):
        carry_out, out = agent.apply(params, carry, features, start, method=Agent.remember)
        return jnp.sum(jnp.abs(out)) + jnp.sum(jnp.abs(carry_out))

    def memory_parameters(params):
        return sum(
            jnp.sum(p) for p in jax.tree.leaves(agent.apply(params, method=Agent.memory_parameters))
        )

    assert used_by(memory_output) == used_by(memory_parameters)
    assert any(jax.tree.leaves(used_by(memory_output)))


def test_every_trainer_s_transformer_caches_a_whole_episode_of_its_task():
    """Tetris lasts up to 3,000 steps, more than the transformer's default cache (1,024 steps,
    which would stop training with an overflow error); a window model keeps its window."""
    env, params = tasks.make("TetrisEasy", False, 64)
    transformer = (
        PQNConfig(memory="transformer"),
        PPOConfig(memory="transformer"),
        DQNConfig(memory="transformer"),
        StreamQConfig(memory="transformer", gradient="tbptt1"),
    )
    for config in transformer:
        network = make_trainer(config, env, params).network
        assert dict(network.memory_options)["max_length"] == 3000, config.algorithm
    windowed = make_trainer(PQNConfig(memory="windowed_attention"), env, params).network
    assert windowed.memory_options == ()
