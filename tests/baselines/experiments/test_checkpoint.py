"""A saved run loads back to the same config and parameters, usable by the network, and names
its game's version; a runner state of every algorithm loads back to the same state."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from baselines.agents.config import DQNConfig, PPOConfig, PQNConfig, StreamQConfig
from baselines.agents.networks import Agent
from baselines.agents.registry import make_trainer
from baselines.experiments import checkpoint
from popgym_arcade_twins import tasks
from tests.compiling import jit


def test_save_then_load_roundtrip(tmp_path):
    config = PPOConfig(memory="gru", hidden_size=8, num_envs=4, num_minibatches=2)
    agent = Agent(config.memory, config.hidden_size, 5, head="actor_critic")
    obs, start = jnp.zeros((2, 4, 32, 32, 3), jnp.uint8), jnp.ones((2, 4), bool)
    params = jit(agent.init)(jax.random.key(0), agent.initialize_carry((4,)), obs, start)
    checkpoint.save(tmp_path, config, params, env_id="CartPoleEasy")
    record, loaded_config, loaded = checkpoint.load(tmp_path)
    assert loaded_config == config and record["env_id"] == "CartPoleEasy"
    assert len(record["provenance"]["git_commit"]) >= 40  # this checkout's commit
    assert record["provenance"]["versions"]["jax"] == jax.__version__
    assert record["game_version"] == 1
    apply = jit(agent.apply)
    _, expected = apply(params, agent.initialize_carry((4,)), obs, start)
    _, got = apply(loaded, agent.initialize_carry((4,)), obs, start)
    for a, b in zip(jax.tree.leaves(expected), jax.tree.leaves(got), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_checkpoint_records_the_game_version_and_old_ones_read_as_1(tmp_path):
    config = PPOConfig(memory="none", hidden_size=8, num_envs=4, num_minibatches=2)
    checkpoint.save(tmp_path, config, {"w": np.zeros(2)}, env_id="CountRecallEasy-v1")
    assert json.loads((tmp_path / "config.json").read_text())["game_version"] == 1
    old = json.loads((tmp_path / "config.json").read_text())
    del old["game_version"]
    (tmp_path / "config.json").write_text(json.dumps(old))
    assert checkpoint.load(tmp_path)[0]["game_version"] == 1


@pytest.mark.parametrize(
    "config",
    [
        PQNConfig(hidden_size=8, num_envs=4, rollout_steps=4, num_minibatches=2, total_steps=64),
        PPOConfig(
            memory="gru",
            hidden_size=8,
            num_envs=4,
            rollout_steps=4,
            num_minibatches=2,
            total_steps=64,
        ),
        StreamQConfig(hidden_size=8, steps_per_update=4, total_steps=64),
        DQNConfig(
            hidden_size=8,
            num_envs=4,
            rollout_steps=4,
            num_minibatches=2,
            total_steps=64,
            buffer_segments=8,
            learning_starts=0,
        ),
    ],
    ids=lambda config: config.algorithm,
)
def test_a_runner_state_saves_and_restores_exactly(tmp_path, config):
    """Every algorithm's whole runner state (PRNG keys included) round-trips through
    `state.npz`, restored from its abstract shape alone; a state of another run is refused."""
    env, params = tasks.make("probe:one_bit", False, 32)
    init = jax.vmap(make_trainer(config, env, params).init)
    keys = jax.vmap(jax.random.key)(jnp.arange(2))
    state = jax.jit(init)(keys)
    checkpoint.save_state(tmp_path, state, updates=3)
    restored, updates = checkpoint.load_state(tmp_path, jax.eval_shape(init, keys))
    assert updates == 3 == checkpoint.saved_updates(tmp_path)
    assert jax.tree.structure(restored) == jax.tree.structure(state)
    for a, b in zip(jax.tree.leaves(restored), jax.tree.leaves(state), strict=True):
        assert a.dtype == b.dtype
        if jax.dtypes.issubdtype(a.dtype, jax.dtypes.prng_key):
            a, b = jax.random.key_data(a), jax.random.key_data(b)
        np.testing.assert_array_equal(a, b)
    other = jax.eval_shape(init, jax.vmap(jax.random.key)(jnp.arange(3)))  # 3 seeds, not 2
    with pytest.raises(ValueError, match="does not hold a state of this run"):
        checkpoint.load_state(tmp_path, other)
