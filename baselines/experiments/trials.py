"""Train an agent and evaluate its greedy policy, all seeds in one jitted, vmapped program."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from baselines.agents.config import AgentConfig
from baselines.agents.networks import as_policy
from baselines.agents.registry import make_trainer
from popgym_arcade_twins import harness


def train_and_evaluate(
    config: AgentConfig, env: Any, env_params: Any, seeds: Sequence[int], eval_episodes: int
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """(returns [seeds, eval_episodes], metrics {name: [seeds, updates, ...]}): each seed's key
    splits into a training and an evaluation key; the trained greedy policy plays
    `eval_episodes` episodes (`harness.evaluate`)."""
    trainer = make_trainer(config, env, env_params)
    policy = as_policy(trainer.network)

    def one_seed(seed: jax.Array):
        key_train, key_eval = jax.random.split(jax.random.key(seed))
        state, metrics = trainer.train(key_train)
        returns = harness.evaluate(env, env_params, policy, state.params, key_eval, eval_episodes)
        return returns, metrics

    return jax.jit(jax.vmap(one_seed))(jnp.asarray(list(seeds)))
