"""PQN with memory: Q(lambda) from parallel envs, no target network, no replay buffer.

After Gallici et al. 2024 ("Simplifying Deep Temporal Difference Learning"). Each update collects a
tape (see `rollout`) with epsilon-greedy actions, computes Q(lambda) targets from the acting pass's
Q-values, then runs `num_epochs` passes of minibatches of whole env streams through the memory's
sequence path, regressing Q(obs_t, action_t) on the targets. LayerNorm in the network keeps the
bootstrapped regression stable without a target network.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from baselines.common import lambda_returns
from baselines.config import PQNConfig
from baselines.rollout import Steps, collect
from baselines.training import (
    RunnerState,
    Trainer,
    episode_metrics,
    make_learner,
    run_epochs,
    scan_updates,
)


def make_train(config: PQNConfig, env: Any, env_params: Any) -> Trainer:
    env, network, optimizer, init, apply_step = make_learner(
        config, env, env_params, "q", optax.radam
    )
    num_actions = env.action_space(env_params).n

    def epsilon(update: jax.Array) -> jax.Array:
        progress = jnp.minimum(update / max(1.0, config.epsilon_fraction * config.num_updates), 1)
        return config.epsilon_start + (config.epsilon_end - config.epsilon_start) * progress

    def loss_fn(params, carry, steps: Steps, targets):
        _, q = network.apply(params, carry, steps.obs, steps.start, steps.prev_action)
        chosen = jnp.take_along_axis(q, steps.action[..., None], axis=-1)[..., 0]
        return 0.5 * jnp.mean((chosen - targets) ** 2)

    def update(state: RunnerState):
        key, key_rollout, key_learn = jax.random.split(state.key, 3)
        explore_rate = epsilon(state.update)

        def act(key, q):
            key_explore, key_random = jax.random.split(key)
            random_action = jax.random.randint(key_random, q.shape[:-1], 0, num_actions)
            explore = jax.random.uniform(key_explore, q.shape[:-1]) < explore_rate
            return jnp.where(explore, random_action, jnp.argmax(q, -1)), jnp.max(q, -1), ()

        actors, tape = collect(
            key_rollout, state.actors, state.params, env, env_params, apply_step, act,
            lambda q: jnp.max(q, -1), config.rollout_steps,
        )  # fmt: skip
        steps = tape.steps
        targets = lambda_returns(
            steps.reward, steps.value, tape.next_value, steps.terminated, steps.truncated,
            steps.final_value, config.gamma, config.lam,
        )  # fmt: skip
        params, opt_state, loss = run_epochs(
            key_learn, state.params, state.opt_state, optimizer, loss_fn, (steps, targets),
            tape.carry, config,
        )  # fmt: skip
        state = RunnerState(params, opt_state, actors, key, state.update + 1)
        return state, episode_metrics(steps) | {"loss": loss, "epsilon": explore_rate}

    return Trainer(init, update, scan_updates(init, update, config.num_updates), network)
