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

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import struct

from baselines.agents.config import StreamQConfig
from baselines.agents.networks import Agent, episode_options
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
    memory_parameters = lambda params: network.apply(params, method=Agent.memory_parameters)

    def q_values(params):
        perturbed = carry
        if gradient == "rtrl":
            perturbed = carry + rtrl.perturbation(sensitivities, memory_parameters(params))
        features = network.apply(params, obs, method=Agent.encode)
        new_carry, remembered = network.apply(
            params, perturbed, features, start, method=Agent.remember
        )
        q = network.apply(params, features, remembered, method=Agent.heads)
        return q, (new_carry, features)

    q, pullback, (new_carry, features) = jax.vjp(q_values, params, has_aux=True)
    if gradient == "rtrl":
        h_prev = select(start, jnp.zeros_like(carry), carry)
        sensitivities = rtrl.update(
            rtrl.restart(sensitivities, start), memory_parameters(params), features, h_prev,
            new_carry, nonlinear=network.memory == "nonlinear_rtu",
        )  # fmt: skip
    return q, lambda cotangent: pullback(cotangent)[0], new_carry, sensitivities


@dataclasses.dataclass(frozen=True)
class StreamQ:
    """Streaming Q(lambda) for one agent and its one env, in parts: `init`, `step` (one env step
    and one learning step, via `act` and `learn`) and `update` (`steps_per_update` steps)."""

    config: StreamQConfig
    env: Any  # wrapped in LogWrapper
    env_params: Any
    network: Agent
    normalizes: bool  # float observations (vectors): normalized by running statistics

    @property
    def num_actions(self) -> int:
        return self.network.num_actions

    def observe(self, stats: RunningStats | None, obs: jax.Array) -> jax.Array:
        return stats.normalize(obs) if self.normalizes else obs

    def epsilon(self, step: jax.Array) -> jax.Array:
        config = self.config
        decay = max(1, round(config.epsilon_fraction * config.total_steps))
        return optax.linear_schedule(config.epsilon_start, config.epsilon_end, decay)(step)

    def init(self, key: jax.Array) -> StreamState:
        key, key_net, key_env = jax.random.split(key, 3)
        carry = self.network.initialize_carry((1,))
        actors = reset_actors(key_env, self.env, self.env_params, carry, 1)
        obs_stats = (
            RunningStats.create(actors.obs.shape[1:]).add(actors.obs[0])
            if self.normalizes
            else None
        )
        params = self.network.init(key_net, carry, actors.obs[None], actors.start[None])
        memory_parameters = self.network.apply(params, method=Agent.memory_parameters)
        rtrl_gradient = self.config.gradient == "rtrl"
        return StreamState(
            params=params,
            trace=jax.tree.map(jnp.zeros_like, params),
            sensitivities=rtrl.zeros(memory_parameters, (1,)) if rtrl_gradient else (),
            actors=actors,
            obs_stats=obs_stats,
            return_stats=RunningStats.create(),
            discounted_return=jnp.zeros(()),
            key=key,
            step=jnp.zeros((), jnp.int32),
        )

    def act(self, state: StreamState, key_explore: jax.Array, key_random: jax.Array):
        """Q(s_t), the epsilon-greedy action a_t [1], the gradient of Q(s_t, a_t), and the carry
        and sensitivities after the step."""
        actors = state.actors
        q, pullback, carry, sensitivities = differentiable_step(
            self.network, self.config.gradient, state.params, actors.carry, state.sensitivities,
            self.observe(state.obs_stats, actors.obs), actors.start,
        )  # fmt: skip
        greedy = jnp.argmax(q, -1)
        explore = jax.random.uniform(key_explore, (1,)) < self.epsilon(state.step)
        random = jax.random.randint(key_random, (1,), 0, self.num_actions)
        action = jnp.where(explore, random, greedy)
        grad = pullback(jax.nn.one_hot(action, self.num_actions))
        return q, action, grad, carry, sensitivities

    def learn(self, state: StreamState, grad: Any, td_error: jax.Array, done: jax.Array):
        """The parameters after ObGD on the trace z = gamma lam z + grad, and the trace (cut
        after an episode ends)."""
        config = self.config
        trace = jax.tree.map(lambda z, g: config.gamma * config.lam * z + g, state.trace, grad)
        params = obgd(state.params, trace, td_error, config.learning_rate, config.kappa)
        return params, jax.tree.map(lambda z: jnp.where(done, 0.0, z), trace)

    def step(self, state: StreamState, _) -> tuple[StreamState, Record]:
        """One env step and one learning step (the module docstring's steps 1-4)."""
        config = self.config
        key, key_explore, key_random, key_env = jax.random.split(state.key, 4)
        q, action, grad, carry, sensitivities = self.act(state, key_explore, key_random)
        obs, env_state, reward, terminated, truncated, info = jax.vmap(
            self.env.step, in_axes=(0, 0, 0, None)
        )(jax.random.split(key_env, 1), state.actors.env_state, action, self.env_params)
        obs_stats = state.obs_stats.add(obs[0]) if self.normalizes else None
        final_obs = select(truncated, info["final_observation"], obs)
        _, q_next = self.network.apply(
            state.params, carry, self.observe(obs_stats, final_obs), jnp.zeros(1, bool),
            method=Agent.step,
        )  # fmt: skip
        done = terminated | truncated
        scaled, return_stats, discounted = scale_reward(
            state.return_stats, state.discounted_return, reward[0], done[0], config.gamma
        )
        target = scaled + config.gamma * jnp.where(terminated[0], 0.0, jnp.max(q_next))
        td_error = target - q[0, action[0]]
        params, trace = self.learn(state, grad, td_error, done[0])
        state = StreamState(
            params=params,
            trace=trace,
            sensitivities=sensitivities,
            actors=Actors(env_state, obs, done, carry, action.astype(jnp.int32)),
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

    def update(self, state: StreamState) -> tuple[StreamState, dict]:
        explore_rate = self.epsilon(state.step)
        state, records = jax.lax.scan(self.step, state, None, length=self.config.steps_per_update)
        metrics = episode_metrics(records) | {
            "loss": 0.5 * jnp.mean(records.td_error**2),
            "epsilon": explore_rate,
        }
        return state, metrics


def make_train(config: StreamQConfig, env: Any, env_params: Any) -> Trainer:
    """Streaming Q(lambda) for one agent and its one env; vmap `train` or `update` over agents."""
    normalizes = jnp.issubdtype(env.observation_space(env_params).dtype, jnp.floating)
    network = Agent(
        config.memory,
        config.hidden_size,
        env.action_space(env_params).n,
        pixels=not normalizes,  # float observations are vectors (MemoryChain), not frames
        memory_options=config.memory_options + episode_options(config.memory, env_params),
    )
    agent = StreamQ(config, LogWrapper(env), env_params, network, bool(normalizes))
    return Trainer(
        agent.init,
        agent.update,
        scan_updates(agent.init, agent.update, config.num_updates),
        network,
    )
