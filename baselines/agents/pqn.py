"""PQN with memory: Q(lambda) from parallel envs, no target network, no replay buffer.

After Gallici et al. 2024 ("Simplifying Deep Temporal Difference Learning"). Each update collects a
tape (see `rollout`) with epsilon-greedy actions, then runs `num_epochs` passes of minibatches of
whole env streams through the memory's sequence path, regressing Q(obs_t, action_t) on Q(lambda)
targets. With `fresh_targets` (as PQN's recurrent reference does) the targets are recomputed in
every minibatch from that pass's own Q-values (gradients stopped); otherwise they come once from
the acting pass. Either way the bootstrap after the tape and at truncations is the acting pass's.
Rewards are multiplied by `reward_scale` for learning only. LayerNorm in the network keeps the
bootstrapped regression stable without a target network.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from baselines.agents.common import lambda_returns, q_diagnostics
from baselines.agents.config import PQNConfig
from baselines.agents.rollout import Steps, collect
from baselines.agents.training import (
    RunnerState,
    Trainer,
    episode_metrics,
    epsilon_greedy,
    epsilon_schedule,
    make_learner,
    max_q,
    run_epochs,
    scan_updates,
)

OPTIMIZER = optax.radam  # learning_rate -> optimizer (`make_learner`)


def make_train(config: PQNConfig, env: Any, env_params: Any) -> Trainer:
    env, network, optimizer, init, apply_step = make_learner(
        config, env, env_params, "q", OPTIMIZER
    )
    num_actions = env.action_space(env_params).n
    epsilon = epsilon_schedule(config)

    def targets_from(values, steps: Steps, next_value):
        return lambda_returns(
            config.reward_scale * steps.reward, values, next_value, steps.terminated,
            steps.truncated, steps.final_value, config.gamma, config.lam,
        )  # fmt: skip

    def loss_fn(params, carry, steps: Steps, next_value, targets):
        _, q = network.apply(params, carry, steps.obs, steps.start, steps.prev_action)
        if config.fresh_targets:
            values = jax.lax.stop_gradient(max_q(q))
            targets = targets_from(values, steps, next_value[0])
        chosen = jnp.take_along_axis(q, steps.action[..., None], axis=-1)[..., 0]
        return 0.5 * jnp.mean((chosen - targets) ** 2)

    def update(state: RunnerState):
        key, key_rollout, key_learn = jax.random.split(state.key, 3)
        explore_rate = epsilon(state.update)
        actors, tape = collect(
            key_rollout, state.actors, state.params, env, env_params, apply_step,
            epsilon_greedy(explore_rate, num_actions), max_q, config.rollout_steps,
        )  # fmt: skip
        steps = tape.steps
        targets = targets_from(steps.value, steps, tape.next_value)
        next_value = jnp.broadcast_to(tape.next_value, steps.value.shape)  # per env, for shuffles
        params, opt_state, loss = run_epochs(
            key_learn, state.params, state.opt_state, optimizer, loss_fn,
            (steps._replace(extras=()), next_value, targets), tape.carry, config,
        )  # fmt: skip
        state = RunnerState(params, opt_state, actors, key, state.update + 1)
        metrics = episode_metrics(steps) | q_diagnostics(steps.extras, steps.action, targets)
        return state, metrics | {"loss": loss, "epsilon": explore_rate}

    return Trainer(init, update, scan_updates(init, update, config.num_updates), network)
