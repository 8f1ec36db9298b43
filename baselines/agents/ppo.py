"""PPO with memory: GAE, a clipped policy objective, a clipped value loss and an entropy bonus.

Each update collects a tape (see `rollout`) by sampling the policy, computes GAE advantages from
the acting pass's values, then runs `num_epochs` passes of minibatches of whole env streams
through the memory's sequence path.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import optax

from baselines.agents.common import gae
from baselines.agents.config import PPOConfig
from baselines.agents.rollout import Steps, collect
from baselines.agents.training import (
    RunnerState,
    Trainer,
    episode_metrics,
    make_learner,
    run_epochs,
    scan_updates,
)

OPTIMIZER = partial(optax.adam, eps=1e-5)  # learning_rate -> optimizer (`make_learner`)


def make_train(config: PPOConfig, env: Any, env_params: Any) -> Trainer:
    env, network, optimizer, init, apply_step = make_learner(
        config, env, env_params, "actor_critic", OPTIMIZER
    )

    def act(key, outputs):
        logits, value = outputs
        action = jax.random.categorical(key, logits)
        log_prob = jnp.take_along_axis(jax.nn.log_softmax(logits), action[..., None], -1)[..., 0]
        return action, value, log_prob

    def loss_fn(params, carry, steps: Steps, advantages, targets):
        _, (logits, values) = network.apply(
            params, carry, steps.obs, steps.start, steps.prev_action
        )
        log_probs = jax.nn.log_softmax(logits)
        log_prob = jnp.take_along_axis(log_probs, steps.action[..., None], -1)[..., 0]
        ratio = jnp.exp(log_prob - steps.extras)
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        clipped_ratio = jnp.clip(ratio, 1 - config.clip_eps, 1 + config.clip_eps)
        policy_loss = -jnp.mean(jnp.minimum(ratio * advantages, clipped_ratio * advantages))
        value_change = jnp.clip(values - steps.value, -config.clip_eps, config.clip_eps)
        value_errors = jnp.maximum(
            (values - targets) ** 2, (steps.value + value_change - targets) ** 2
        )
        entropy = -jnp.mean(jnp.sum(jnp.exp(log_probs) * log_probs, -1))
        return (
            policy_loss
            + config.value_coef * 0.5 * jnp.mean(value_errors)
            - config.entropy_coef * entropy
        )

    def update(state: RunnerState):
        key, key_rollout, key_learn = jax.random.split(state.key, 3)
        actors, tape = collect(
            key_rollout, state.actors, state.params, env, env_params, apply_step, act,
            lambda outputs: outputs[1], config.rollout_steps,
        )  # fmt: skip
        steps = tape.steps
        advantages, targets = gae(
            steps.reward, steps.value, tape.next_value, steps.terminated, steps.truncated,
            steps.final_value, config.gamma, config.lam,
        )  # fmt: skip
        params, opt_state, loss = run_epochs(
            key_learn, state.params, state.opt_state, optimizer, loss_fn,
            (steps, advantages, targets), tape.carry, config,
        )  # fmt: skip
        state = RunnerState(params, opt_state, actors, key, state.update + 1)
        # Minus the mean log-probability of the sampled actions: the policy's mean entropy.
        entropy = -jnp.mean(steps.extras)
        return state, episode_metrics(steps) | {"loss": loss, "policy_entropy": entropy}

    return Trainer(init, update, scan_updates(init, update, config.num_updates), network)
