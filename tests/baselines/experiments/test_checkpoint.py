"""A saved run loads back to the same config and parameters, usable by the network, and names
its game's version."""

import json

import jax
import jax.numpy as jnp
import numpy as np

from baselines.agents.config import PPOConfig
from baselines.agents.networks import Agent
from baselines.experiments import checkpoint


def test_save_then_load_roundtrip(tmp_path):
    config = PPOConfig(memory="gru", hidden_size=8, num_envs=4, num_minibatches=2)
    agent = Agent(config.memory, config.hidden_size, 5, head="actor_critic")
    obs, start = jnp.zeros((2, 4, 32, 32, 3), jnp.uint8), jnp.ones((2, 4), bool)
    params = agent.init(jax.random.key(0), agent.initialize_carry((4,)), obs, start)
    checkpoint.save(tmp_path, config, params, env_id="CartPoleEasy")
    record, loaded_config, loaded = checkpoint.load(tmp_path)
    assert loaded_config == config and record["env_id"] == "CartPoleEasy"
    assert len(record["provenance"]["git_commit"]) >= 40  # this checkout's commit
    assert record["provenance"]["versions"]["jax"] == jax.__version__
    assert record["game_version"] == 1
    _, expected = agent.apply(params, agent.initialize_carry((4,)), obs, start)
    _, got = agent.apply(loaded, agent.initialize_carry((4,)), obs, start)
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
