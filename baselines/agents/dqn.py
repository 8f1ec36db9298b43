"""DQN with memory: replay of whole tape segments, a target network, Double-DQN Q(lambda) targets.

Recurrent replay in the spirit of R2D2 (Kapturowski et al. 2019), kept simple. Each update
collects a tape (see `rollout`) with epsilon-greedy actions, as PQN does, and writes it into a
ring buffer (`replay`) as `num_envs` segments, one per env stream: its `rollout_steps` steps
plus the observation after them, and the memory carry the stream had before the first step.
Once `learning_starts` env steps are done, every update takes `num_epochs * num_minibatches`
gradient steps, each on `num_envs / num_minibatches` segments drawn uniformly from the filled
part of the buffer. A drawn segment is replayed through the memory's sequence path from its
stored carry by the online and by the target network (R2D2's stored state, without its burn-in:
the carry came from the parameters that acted, not from those replaying it); the online pass
regresses Q(o_t, a_t) on Q(lambda) targets (`common.lambda_returns`, rewards times
`reward_scale`) whose bootstrap values are the target network's Q of the online network's
greedy action (Double DQN). The observation after the segment
is replayed as one more step, so the last bootstrap comes from the target network too; at
truncations the bootstrap is the acting pass's max Q of the final frame, stored with the segment
(as PQN does; the frame itself is not stored). Terminations stop bootstrapping.

The target network is a hard copy of the online parameters, refreshed at the end of every
`target_update_interval`-th update (not Polyak averaging). Metrics are PQN's; the loss and the Q
diagnostics are means over the update's gradient steps (their replayed segments), NaN in the
updates before learning starts.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import struct

from baselines.agents import replay
from baselines.agents.common import lambda_returns, q_diagnostics
from baselines.agents.config import DQNConfig
from baselines.agents.rollout import Actors, Tape, collect
from baselines.agents.training import (
    RunnerState,
    Trainer,
    episode_metrics,
    epsilon_greedy,
    epsilon_schedule,
    make_learner,
    max_q,
    scan_updates,
)


class Segment(NamedTuple):
    """One env stream's part of a tape, as the buffer keeps it (leaves [T + 1, ...], [T, ...] or,
    for the carry, the memory's). Entry T of `obs`, `start` and `prev_action` is the observation
    after the segment, replayed only to bootstrap from."""

    carry: Any  # memory carry before obs 0
    obs: jax.Array  # [T + 1, ...]
    start: jax.Array  # bool[T + 1]
    prev_action: jax.Array  # int32[T + 1]
    action: jax.Array  # int32[T]
    reward: jax.Array  # float32[T]
    terminated: jax.Array  # bool[T]
    truncated: jax.Array  # bool[T]
    final_value: jax.Array  # float32[T]: the acting pass's value of the final frame if truncated


def segments(tape: Tape, after: Actors) -> Segment:
    """The segments of a tape (leaves [B, ...]); `after` are the actors the rollout returned."""
    steps = tape.steps
    then = lambda seq, last: jnp.concatenate([seq, last[None]])
    per_env = lambda x: jnp.swapaxes(x, 0, 1)
    per_step = (steps.action, steps.reward, steps.terminated, steps.truncated, steps.final_value)
    return Segment(
        tape.carry,
        per_env(then(steps.obs, after.obs)),
        per_env(then(steps.start, after.start)),
        per_env(then(steps.prev_action, after.prev_action)),
        *map(per_env, per_step),
    )


@struct.dataclass
class DQNState(RunnerState):
    target_params: Any
    buffer: replay.RingBuffer  # rows: Segment


def make_train(config: DQNConfig, env: Any, env_params: Any) -> Trainer:
    env, network, optimizer, init_runner, apply_step = make_learner(
        config, env, env_params, "q", optax.adam
    )
    num_actions = env.action_space(env_params).n
    epsilon = epsilon_schedule(config)
    batch_size = config.num_envs // config.num_minibatches

    def collect_segments(key, actors: Actors, params, explore_rate):
        actors, tape = collect(
            key, actors, params, env, env_params, apply_step,
            epsilon_greedy(explore_rate, num_actions), max_q, config.rollout_steps,
        )  # fmt: skip
        return actors, tape, segments(tape, actors)

    def init(key: jax.Array) -> DQNState:
        state = init_runner(key)
        shapes = jax.eval_shape(collect_segments, state.key, state.actors, state.params, 1.0)[2]
        buffer = replay.empty(shapes, config.buffer_segments)
        return DQNState(
            state.params, state.opt_state, state.actors, state.key, state.update,
            target_params=state.params, buffer=buffer,
        )  # fmt: skip

    def loss_fn(params, target_params, drawn: Segment):
        time_major = lambda x: jnp.swapaxes(x, 0, 1)
        inputs = (time_major(drawn.obs), time_major(drawn.start), time_major(drawn.prev_action))
        _, q = network.apply(params, drawn.carry, *inputs)  # [T + 1, batch, A]
        _, q_target = network.apply(target_params, drawn.carry, *inputs)
        greedy = jnp.argmax(jax.lax.stop_gradient(q), -1)
        values = jnp.take_along_axis(q_target, greedy[..., None], -1)[..., 0]
        targets = lambda_returns(
            config.reward_scale * time_major(drawn.reward), values[:-1], values[-1],
            time_major(drawn.terminated), time_major(drawn.truncated),
            time_major(drawn.final_value), config.gamma, config.lam,
        )  # fmt: skip
        action = time_major(drawn.action)
        chosen = jnp.take_along_axis(q[:-1], action[..., None], -1)[..., 0]
        loss = 0.5 * jnp.mean((chosen - targets) ** 2)
        return loss, q_diagnostics(jax.lax.stop_gradient(q[:-1]), action, targets)

    def learn(key, params, opt_state, target_params, buffer: replay.RingBuffer):
        def gradient_step(learner, key):
            params, opt_state = learner
            drawn = replay.sample(buffer, key, batch_size)
            (loss, diagnostics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
                params, target_params, drawn
            )
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), diagnostics | {"loss": loss}

        keys = jax.random.split(key, config.num_epochs * config.num_minibatches)
        (params, opt_state), metrics = jax.lax.scan(gradient_step, (params, opt_state), keys)
        return params, opt_state, jax.tree.map(jnp.mean, metrics)

    def wait(*args):  # before learning starts: nothing learned, NaN metrics
        _, params, opt_state, *_ = args
        metrics = jax.eval_shape(learn, *args)[2]
        return params, opt_state, jax.tree.map(lambda m: jnp.full(m.shape, jnp.nan), metrics)

    def update(state: DQNState):
        key, key_rollout, key_learn = jax.random.split(state.key, 3)
        explore_rate = epsilon(state.update)
        actors, tape, new = collect_segments(key_rollout, state.actors, state.params, explore_rate)
        buffer = replay.add(state.buffer, new)
        params, opt_state, learned = jax.lax.cond(
            state.update >= config.first_learning_update, learn, wait,
            key_learn, state.params, state.opt_state, state.target_params, buffer,
        )  # fmt: skip
        refresh = (state.update + 1) % config.target_update_interval == 0
        target_params = jax.tree.map(
            lambda online, target: jnp.where(refresh, online, target), params, state.target_params
        )
        state = DQNState(params, opt_state, actors, key, state.update + 1, target_params, buffer)
        return state, episode_metrics(tape.steps) | learned | {"epsilon": explore_rate}

    return Trainer(init, update, scan_updates(init, update, config.num_updates), network)
