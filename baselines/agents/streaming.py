"""Streaming Q(lambda) with memory: each agent learns from one transition at a time, with no
replay buffer, no batches and no target network.

After Elsayed, Vasan & Mahmood 2024 ("Streaming deep RL finally works", Stream Q(lambda)), with a
recurrent memory between the encoder and the Q head (`networks.Agent`). Every agent owns one env
(a batch of 1); independent agents (seeds) are a vmapped axis. At each step an agent:

1. runs one network step from its memory carry on the normalized observation s_t, giving Q(s_t)
   and, for the epsilon-greedy action a_t, the gradient of Q(s_t, a_t) (one forward, one
   backward);
2. steps its env and scales the reward (`safeguards.scale_reward`);
3. evaluates max_a Q(s_{t+1}) from the new carry: a truncation bootstraps from the final
   observation, a termination from 0;
4. updates the eligibility trace z = gamma lam z + grad Q(s_t, a_t) and the parameters by ObGD,
   theta += step * delta * z (`safeguards.obgd`); z restarts after an episode ends (exploratory
   actions do not cut it, as in the reference implementation's default).

How the gradient reaches through memory (`config.gradient`):
- "rtrl": exact real-time recurrent learning for the RTU's parameters (`baselines.memory.rtrl`),
  whose sensitivities follow the carry, restart with it, and compose with the eligibility trace
  unchanged; the encoder and heads get their gradient through step t.
- "tbptt1": the same step with the carry held constant: every parameter gets its gradient
  through step t only.

Observations that are float vectors are normalized by their running mean and variance; frames
(uint8) keep the encoder's fixed 1/255 scaling, being bounded already. `update` runs
`steps_per_update` steps in one `lax.scan`, so `experiment.run` drives it like PQN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import struct

from baselines.agents.config import StreamQConfig
from baselines.agents.networks import Agent, Encoder
from baselines.agents.rollout import Actors, reset_actors
from baselines.agents.safeguards import RunningStats, obgd, scale_reward
from baselines.agents.training import Trainer, episode_metrics, scan_updates
from baselines.memory import rtrl
from baselines.memory.base import select
from popgym_arcade_twins.wrappers import LogWrapper


@struct.dataclass
class StreamState:
    """One agent; leaves of `actors` and `sensitivities` have a leading env axis of size 1."""

    params: Any
    trace: Any  # eligibility trace z, shaped like params
    sensitivities: Any  # rtrl.Sensitivities, or () with "tbptt1"
    actors: Actors
    obs_stats: RunningStats | None  # None for frames
    return_stats: RunningStats  # of the discounted return, for reward scaling
    discounted_return: jax.Array  # float32
    key: jax.Array
    step: jax.Array  # int32: env steps so far


class Record(NamedTuple):
    """One step's metrics, named as `training.episode_metrics` reads them."""

    episode_done: jax.Array  # bool[1]
    episode_return: jax.Array  # float32[1]
    value: jax.Array  # float32[1]: max_a Q(s_t)
    td_error: jax.Array  # float32


def _is_encoder(module: Any, method_name: str) -> bool:
    return isinstance(module, Encoder) and method_name == "__call__"


def differentiable_step(
    network: Agent,
    gradient: str,
    params: Any,
    carry: Any,
    sensitivities: Any,
    obs: jax.Array,
    start: jax.Array,
) -> tuple[jax.Array, Callable[[jax.Array], Any], Any, Any]:
    """One step of `network` from `carry` on obs [1, ...], start bool[1].

    Returns (q [1, A], pullback, carry after the step, sensitivities after the step).
    `pullback(cotangent [1, A])` is the gradient of sum(cotangent * q) w.r.t. params: with
    "rtrl", exact through the whole episode for the RTU's parameters (the incoming carry carries
    its sensitivities, see `rtrl`); with "tbptt1", through this step only (`sensitivities` is
    then () and stays so).
    """

    def q_values(params):
        perturbed = carry
        if gradient == "rtrl":
            memory_params = params["params"]["memory_model"]
            perturbed = carry + rtrl.perturbation(sensitivities, memory_params)
        (new_carry, q), captured = network.apply(
            params, perturbed, obs, start, method=Agent.step,
            capture_intermediates=_is_encoder, mutable=["intermediates"],
        )  # fmt: skip
        return q, (new_carry, captured["intermediates"]["encoder"]["__call__"][0])

    q, pullback, (new_carry, features) = jax.vjp(q_values, params, has_aux=True)
    if gradient == "rtrl":
        h_prev = select(start, jnp.zeros_like(carry), carry)
        sensitivities = rtrl.update(
            rtrl.restart(sensitivities, start), params["params"]["memory_model"], features,
            h_prev, new_carry, nonlinear=network.memory == "nonlinear_rtu",
        )  # fmt: skip
    return q, lambda cotangent: pullback(cotangent)[0], new_carry, sensitivities


def make_train(config: StreamQConfig, env: Any, env_params: Any) -> Trainer:
    """Streaming Q(lambda) for one agent and its one env; vmap `train` or `update` over agents."""
    env = LogWrapper(env)
    num_actions = env.action_space(env_params).n
    normalizes = jnp.issubdtype(env.observation_space(env_params).dtype, jnp.floating)
    network = Agent(
        config.memory,
        config.hidden_size,
        num_actions,
        pixels=not normalizes,  # float observations are vectors (MemoryChain), not frames
        memory_options=config.memory_options,
    )
    step_envs = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def observe(stats: RunningStats | None, obs: jax.Array) -> jax.Array:
        return stats.normalize(obs) if normalizes else obs

    epsilon = optax.linear_schedule(
        config.epsilon_start,
        config.epsilon_end,
        max(1, round(config.epsilon_fraction * config.total_steps)),
    )

    def init(key: jax.Array) -> StreamState:
        key, key_net, key_env = jax.random.split(key, 3)
        carry = network.initialize_carry((1,))
        actors = reset_actors(key_env, env, env_params, carry, 1)
        obs_stats = (
            RunningStats.create(actors.obs.shape[1:]).add(actors.obs[0]) if normalizes else None
        )
        params = network.init(key_net, carry, actors.obs[None], actors.start[None])
        sensitivities = (
            rtrl.zeros(params["params"]["memory_model"], (1,)) if config.gradient == "rtrl" else ()
        )
        return StreamState(
            params=params,
            trace=jax.tree.map(jnp.zeros_like, params),
            sensitivities=sensitivities,
            actors=actors,
            obs_stats=obs_stats,
            return_stats=RunningStats.create(),
            discounted_return=jnp.zeros(()),
            key=key,
            step=jnp.zeros((), jnp.int32),
        )

    def stream_step(state: StreamState, _) -> tuple[StreamState, Record]:
        key, key_explore, key_random, key_env = jax.random.split(state.key, 4)
        actors = state.actors
        q, pullback, carry, sensitivities = differentiable_step(
            network, config.gradient, state.params, actors.carry, state.sensitivities,
            observe(state.obs_stats, actors.obs), actors.start,
        )  # fmt: skip
        greedy = jnp.argmax(q, -1)
        explore = jax.random.uniform(key_explore, (1,)) < epsilon(state.step)
        action = jnp.where(explore, jax.random.randint(key_random, (1,), 0, num_actions), greedy)
        grad = pullback(jax.nn.one_hot(action, num_actions))

        obs, env_state, reward, terminated, truncated, info = step_envs(
            jax.random.split(key_env, 1), actors.env_state, action, env_params
        )
        obs_stats = state.obs_stats.add(obs[0]) if normalizes else None
        final_obs = select(truncated, info["final_observation"], obs)
        _, q_next = network.apply(
            state.params, carry, observe(obs_stats, final_obs), jnp.zeros(1, bool),
            method=Agent.step,
        )  # fmt: skip
        done = terminated | truncated
        scaled, return_stats, discounted = scale_reward(
            state.return_stats, state.discounted_return, reward[0], done[0], config.gamma
        )
        target = scaled + config.gamma * jnp.where(terminated[0], 0.0, jnp.max(q_next))
        td_error = target - q[0, action[0]]
        trace = jax.tree.map(lambda z, g: config.gamma * config.lam * z + g, state.trace, grad)
        params = obgd(state.params, trace, td_error, config.learning_rate, config.kappa)
        trace = jax.tree.map(lambda z: jnp.where(done[0], 0.0, z), trace)

        state = StreamState(
            params=params,
            trace=trace,
            sensitivities=sensitivities,
            actors=Actors(env_state, obs, done, carry),
            obs_stats=obs_stats,
            return_stats=return_stats,
            discounted_return=discounted,
            key=key,
            step=state.step + 1,
        )
        record = Record(
            info["returned_episode"], info["returned_episode_return"], jnp.max(q, -1), td_error
        )
        return state, record

    def update(state: StreamState) -> tuple[StreamState, dict]:
        explore_rate = epsilon(state.step)
        state, records = jax.lax.scan(stream_step, state, None, length=config.steps_per_update)
        metrics = episode_metrics(records) | {
            "loss": 0.5 * jnp.mean(records.td_error**2),
            "epsilon": explore_rate,
        }
        return state, metrics

    return Trainer(init, update, scan_updates(init, update, config.num_updates), network)
