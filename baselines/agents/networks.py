"""The agent network: encoder -> memory -> heads, with a skip connection around the memory.

Frames [..., S, S, 3] (uint8, or float on the same 0-255 scale, which lets diagnostics take
gradients with respect to pixels) are converted to float once and averaged down to 64 x 64:
every game lays its frame out on a 64-unit logical grid, so this keeps nearly all the
information and cuts the encoder's cost by (S/64)^2. Then 4 x 4 patches and 2 x 2 merges down to
8 x 8, so one definition serves every frame size. A patch layer is a convolution whose kernel
equals its stride, computed as a reshape and a matmul: on XLA:CPU a convolution's weight
gradient inside a loop (every training step here runs in `lax.scan`) is many times slower than
the same matmul. With `pixels=False`, vector observations go through a dense layer instead.

The agent of the POPGym Arcade paper (`previous_action`, `residual`, `num_layers` > 1): the
previous action (one-hot, zero at an episode's start) joins the frame features through a dense
layer, then `num_layers` memory layers of width `hidden_size` each add their output to their input
and normalize the sum (LayerNorm). The head sees both the memory output and the encoder features,
so a policy may bypass memory. The defaults (one layer, no previous action, no residual) feed the
features straight into the memory, as streaming Q(lambda)'s RTRL expects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory import MEMORY_MODELS
from popgym_arcade_twins.harness import Policy
from popgym_arcade_twins.render.layout import LOGICAL_SIZE


def patches(x: jax.Array, size: int) -> jax.Array:
    """[N, H, W, C] -> [N, H/size, W/size, size*size*C]: non-overlapping patches, flattened."""
    n, h, w, c = x.shape
    x = x.reshape(n, h // size, size, w // size, size, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(n, h // size, w // size, size * size * c)


def average_pool(frames: jax.Array, size: int) -> jax.Array:
    """[N, H, W, C] pixels 0-255 -> float32[N, H/size, W/size, C] in [0, 1]: size x size means.

    A sum of strided slices: on XLA:CPU this runs much faster than a windowed reduction.
    """
    total = sum(
        frames[:, i::size, j::size].astype(jnp.float32) for i in range(size) for j in range(size)
    )
    return total * (1.0 / (size * size * 255.0))


class Encoder(nn.Module):
    """Frames [..., S, S, 3] (pixels 0-255, uint8 or float), or with `pixels=False` vectors
    [..., d] -> [..., features]."""

    features: int
    pixels: bool = True
    norm: bool = False  # LayerNorm before every ReLU, as in the PQN paper's networks

    @nn.compact
    def __call__(self, obs: jax.Array) -> jax.Array:
        if not self.pixels:
            return self.layer(self.features, obs.astype(jnp.float32))
        size = obs.shape[-2] if obs.ndim >= 3 else 0
        if obs.shape[-3:] != (size, size, 3) or size < 32 or size & (size - 1):
            raise ValueError(
                "expected frames [..., S, S, 3] (uint8, or float 0-255), S a power of 2 >= 32; "
                f"got {obs.dtype}{list(obs.shape)}"
            )
        lead = obs.shape[:-3]
        x = average_pool(obs.reshape(-1, size, size, 3), max(1, size // LOGICAL_SIZE))
        x = self.layer(16, patches(x, 4))
        while x.shape[1] > 8:
            x = self.layer(32, patches(x, 2))
        x = self.layer(self.features, x.reshape(x.shape[0], -1))
        return x.reshape(*lead, self.features)

    @nn.nowrap
    def layer(self, width: int, x: jax.Array) -> jax.Array:
        x = nn.Dense(width)(x)
        return nn.relu(nn.LayerNorm()(x) if self.norm else x)


def episode_options(memory: str, env_params: Any) -> tuple[tuple[str, Any], ...]:
    """`Agent.memory_options` under which `memory` holds whole episodes of the task (the
    transformer's KV cache: as many steps as an episode lasts at most)."""
    bound = int(env_params.max_steps_in_episode)
    return tuple(MEMORY_MODELS[memory].episode_options(bound).items())


class Agent(nn.Module):
    """`head` "q": Q-values [..., A]; "actor_critic": (logits [..., A], value [...]).

    `__call__` runs a tape (inputs [T, B, ...], the memory's parallel/sequence path); `step` runs
    one step (inputs [B, ...]). Both take and return the carry and agree exactly. A step is
    `encode`, `remember` and `heads`, each callable alone (`apply(..., method=Agent.encode)`).
    `prev_action` int32 (same leading shape as `start`) is the action taken before `obs`, read
    only with `previous_action` and ignored where `start`. The carry is the memory's with one
    layer, else a tuple of one per layer. `memory_options` are further keyword arguments of the
    memory model, as (name, value) pairs.
    """

    memory: str
    hidden_size: int
    num_actions: int
    head: str = "q"
    layer_norm: bool = True
    pixels: bool = True  # False: vector observations (see Encoder)
    memory_options: tuple[tuple[str, Any], ...] = ()
    num_layers: int = 1
    previous_action: bool = False
    residual: bool = False  # each memory layer: LayerNorm(input + memory(input))
    encoder_norm: bool = False  # LayerNorm in every encoder layer (see Encoder)

    def setup(self):
        if self.head not in ("q", "actor_critic"):
            raise ValueError(f"head must be 'q' or 'actor_critic', got {self.head!r}")
        if self.num_layers < 1:
            raise ValueError(f"num_layers must be a positive integer, got {self.num_layers}")
        self.encoder = Encoder(self.hidden_size, self.pixels, self.encoder_norm)
        if self.previous_action:
            self.action_input = nn.Dense(self.hidden_size)
        self.memory_model = self.make_memory()  # layer 0 (the name RTRL reads)
        self.deeper_memory = [self.make_memory() for _ in range(self.num_layers - 1)]
        if self.residual:
            self.memory_norms = [nn.LayerNorm() for _ in range(self.num_layers)]
        self.torso = nn.Dense(self.hidden_size)
        self.norm = nn.LayerNorm() if self.layer_norm else (lambda x: x)
        if self.head == "q":
            self.q_head = nn.Dense(self.num_actions)
        else:
            self.actor = nn.Dense(self.num_actions, kernel_init=nn.initializers.orthogonal(0.01))
            self.critic = nn.Dense(1, kernel_init=nn.initializers.orthogonal(1.0))

    @nn.nowrap
    def make_memory(self) -> nn.Module:
        return MEMORY_MODELS[self.memory](hidden_size=self.hidden_size, **dict(self.memory_options))

    @nn.nowrap
    def initialize_carry(self, batch_shape: Sequence[int]):
        carries = tuple(
            self.make_memory().initialize_carry(batch_shape) for _ in range(self.num_layers)
        )
        return carries[0] if self.num_layers == 1 else carries

    def encode(self, obs: jax.Array) -> jax.Array:
        """Observations [..., obs] -> features [..., hidden_size]."""
        return self.encoder(obs)

    def heads(self, features: jax.Array, remembered: jax.Array):
        """The outputs (see the class docstring) from the features and what memory returned."""
        x = nn.relu(self.norm(self.torso(jnp.concatenate([remembered, features], axis=-1))))
        if self.head == "q":
            return self.q_head(x)
        return self.actor(x), self.critic(x)[..., 0]

    def memory_parameters(self):
        """The first memory layer's parameters (the only layer, for RTRL), read through the
        module rather than a path into the parameter tree:
        `agent.apply(params, method=Agent.memory_parameters)`."""
        return self.memory_model.variables["params"]

    def _memory(self, carry, features, start, prev_action, method: str):
        x = features
        if self.previous_action:
            if prev_action is None:
                raise ValueError("this agent reads the previous action: pass prev_action")
            shown = jax.nn.one_hot(prev_action, self.num_actions) * ~start[..., None]
            x = self.action_input(jnp.concatenate([features, shown], axis=-1))
        layers = [self.memory_model, *self.deeper_memory]
        carries = (carry,) if self.num_layers == 1 else carry
        new_carries = []
        for i, (layer, layer_carry) in enumerate(zip(layers, carries, strict=True)):
            layer_carry, y = getattr(layer, method)(layer_carry, (x, start))
            x = self.memory_norms[i](x + y) if self.residual else y
            new_carries.append(layer_carry)
        return (new_carries[0] if self.num_layers == 1 else tuple(new_carries)), x

    def remember(
        self, carry, features: jax.Array, start: jax.Array, prev_action: jax.Array | None = None
    ):
        """One memory step on features [B, hidden_size]: (carry, remembered [B, hidden_size])."""
        return self._memory(carry, features, start, prev_action, "step")

    def __call__(
        self, carry, obs: jax.Array, start: jax.Array, prev_action: jax.Array | None = None
    ):
        features = self.encode(obs)
        carry, remembered = self._memory(carry, features, start, prev_action, "__call__")
        return carry, self.heads(features, remembered)

    def step(self, carry, obs: jax.Array, start: jax.Array, prev_action: jax.Array | None = None):
        features = self.encode(obs)
        carry, remembered = self.remember(carry, features, start, prev_action)
        return carry, self.heads(features, remembered)


def as_policy(agent: Agent) -> Policy:
    """The harness's view of an agent: its single-step path, returning Q-values or logits.

    An agent that reads the previous action keeps it in the policy's carry as the argmax of its
    last scores: exactly the action taken under greedy evaluation (the harness's default).
    """

    def apply(params, carry, obs: jax.Array, start: jax.Array):
        carry, last = carry if agent.previous_action else (carry, None)
        carry, outputs = agent.apply(params, carry, obs, start, last, method=Agent.step)
        scores = outputs if agent.head == "q" else outputs[0]
        if agent.previous_action:
            carry = (carry, jnp.argmax(scores, -1).astype(jnp.int32))
        return carry, scores

    def initialize_carry(batch_shape: Sequence[int]):
        carry = agent.initialize_carry(batch_shape)
        return (carry, jnp.zeros(batch_shape, jnp.int32)) if agent.previous_action else carry

    return Policy(apply, initialize_carry)
