"""What PQN, PPO and DQN share around their math: runner state, optimizer, epochs over a tape,
epsilon-greedy acting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import struct

from baselines.agents.common import env_minibatches
from baselines.agents.config import QConfig, TrainConfig
from baselines.agents.networks import Agent, episode_options
from baselines.agents.rollout import ActFn, Actors, Steps, reset_actors
from popgym_arcade_twins.wrappers import LogWrapper


@struct.dataclass
class RunnerState:
    params: Any
    opt_state: Any
    actors: Actors
    key: jax.Array
    update: jax.Array  # int32: updates done so far


class Trainer(NamedTuple):
    """`init(key) -> state`; `update(state) -> (state, metrics)` (one rollout and its learning);
    `train(key) -> (state, metrics)` runs every update in one jittable call; `network` is the
    flax module whose `step` method acts (for evaluation and diagnostics)."""

    init: Callable[[jax.Array], RunnerState]
    update: Callable[[RunnerState], tuple[RunnerState, dict]]
    train: Callable[[jax.Array], tuple[RunnerState, dict]]
    network: Any


class Learner(NamedTuple):
    """What every algorithm starts from: the logged envs, the network, the optimizer,
    `init(key) -> RunnerState`, and the network's single-step path `apply_step`."""

    env: LogWrapper
    network: Agent
    optimizer: optax.GradientTransformation
    init: Callable[[jax.Array], RunnerState]
    apply_step: Callable


def make_learner(config: TrainConfig, env, env_params, head: str, make: Callable) -> Learner:
    """The shared set-up of `make_train`: `head` picks the network's outputs ("q" or
    "actor_critic"), `make(learning_rate)` the optimizer (see `make_optimizer`)."""
    env = LogWrapper(env)
    network = Agent(
        config.memory, config.hidden_size, env.action_space(env_params).n, head=head,
        num_layers=config.num_layers, previous_action=config.reads_previous_action,
        residual=config.residual, encoder_norm=config.encoder_norm,
        memory_options=episode_options(config.memory, env_params),
    )  # fmt: skip
    optimizer = make_optimizer(config, make)

    def init(key: jax.Array) -> RunnerState:
        return init_runner(key, network, optimizer, env, env_params, config.num_envs)

    def apply_step(params, carry, obs, start, prev_action):
        return network.apply(params, carry, obs, start, prev_action, method=Agent.step)

    return Learner(env, network, optimizer, init, apply_step)


def make_optimizer(config: TrainConfig, make: Callable[..., optax.GradientTransformation]):
    """Gradient clipping, then `make(learning_rate)`, the rate annealed linearly to 0 if asked."""
    rate = (
        optax.linear_schedule(config.learning_rate, 0.0, config.gradient_steps)
        if config.anneal_lr
        else config.learning_rate
    )
    return optax.chain(optax.clip_by_global_norm(config.max_grad_norm), make(rate))


def init_runner(key, network, optimizer, env, env_params, num_envs: int) -> RunnerState:
    """Reset the envs and initialize the network on them (through its sequence path)."""
    key, key_net, key_env = jax.random.split(key, 3)
    carry = network.initialize_carry((num_envs,))
    actors = reset_actors(key_env, env, env_params, carry, num_envs)
    params = network.init(
        key_net, carry, actors.obs[None], actors.start[None], actors.prev_action[None]
    )
    return RunnerState(params, optimizer.init(params), actors, key, jnp.zeros((), jnp.int32))


def run_epochs(key, params, opt_state, optimizer, loss_fn, per_step, carry, config: TrainConfig):
    """`num_epochs` passes over a tape, each in `num_minibatches` minibatches of whole env
    streams. `per_step` is a pytree of [T, B, ...] arrays; `loss_fn(params, carry, *per_step)`
    sees a minibatch of it and the matching carries. Returns (params, opt_state, mean loss)."""

    def learn_minibatch(state, minibatch):
        params, opt_state = state
        loss, grads = jax.value_and_grad(loss_fn)(params, *minibatch)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    def epoch(state, key):
        per_step_mb, carry_mb = env_minibatches(key, per_step, carry, config.num_minibatches)
        return jax.lax.scan(learn_minibatch, state, (carry_mb, *per_step_mb))

    (params, opt_state), losses = jax.lax.scan(
        epoch, (params, opt_state), jax.random.split(key, config.num_epochs)
    )
    return params, opt_state, jnp.mean(losses)


def epsilon_schedule(config: QConfig) -> optax.Schedule:
    """Epsilon of each update: `epsilon_start` down to `epsilon_end` over `epsilon_fraction` of
    the updates, then constant."""
    decay = max(1, round(config.epsilon_fraction * config.num_updates))
    return optax.linear_schedule(config.epsilon_start, config.epsilon_end, decay)


def epsilon_greedy(epsilon: jax.Array, num_actions: int) -> ActFn:
    """The rollout's act on Q-values [B, A]: a uniform random action with probability `epsilon`,
    else the greedy one; its value is max Q, its extras the Q-values."""

    def act(key: jax.Array, q: jax.Array):
        key_explore, key_random = jax.random.split(key)
        random_action = jax.random.randint(key_random, q.shape[:-1], 0, num_actions)
        explore = jax.random.uniform(key_explore, q.shape[:-1]) < epsilon
        return jnp.where(explore, random_action, jnp.argmax(q, -1)), max_q(q), q

    return act


def max_q(q: jax.Array) -> jax.Array:
    """The value of Q-values [..., A]: the best action's."""
    return jnp.max(q, -1)


def scan_updates(init, update, num_updates: int):
    """`train(key)`: init, then every update, in one jittable function."""

    def train(key: jax.Array):
        return jax.lax.scan(lambda state, _: update(state), init(key), None, length=num_updates)

    return train


def episode_metrics(steps: Steps) -> dict[str, jax.Array]:
    """Mean return of the episodes that ended in these steps (NaN if none did), their count, and
    the mean value the acting pass estimated."""
    count = jnp.sum(steps.episode_done)
    total = jnp.sum(jnp.where(steps.episode_done, steps.episode_return, 0.0))
    mean = jnp.where(count > 0, total / jnp.maximum(count, 1), jnp.nan)
    return {"episode_return": mean, "episodes": count, "value": jnp.mean(steps.value)}
