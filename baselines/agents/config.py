"""Typed, frozen configs of the baselines; derived sizes are properties."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar


def require_positive(config, *names: str) -> None:
    """Raise a ValueError naming the first of `config`'s fields `names` that is below 1."""
    for name in names:
        if getattr(config, name) < 1:
            raise ValueError(f"{name} must be a positive integer, got {getattr(config, name)}")


class AgentConfig:
    """What every algorithm's config shares: the `algorithm` it configures (a class constant,
    the name in `registry.ALGORITHMS`), a `memory` model of `hidden_size`, a budget of
    `total_steps` env steps cut into updates of `steps_per_update`, and `gamma` and `lam`."""

    algorithm: ClassVar[str]

    def check_shared(self, *positive: str) -> None:
        """Raise a ValueError for an unknown memory, a field of `positive` (and hidden_size)
        below 1, a budget below one update, or gamma or lam outside [0, 1]."""
        from baselines.memory import MEMORY_MODELS

        MEMORY_MODELS[self.memory]  # raises, listing the valid names
        require_positive(self, "hidden_size", *positive)
        if self.num_updates < 1:
            raise ValueError(
                f"total_steps ({self.total_steps}) is less than one update "
                f"({self.steps_per_update} steps)"
            )
        if not (0 <= self.gamma <= 1 and 0 <= self.lam <= 1):
            raise ValueError(f"gamma and lam must lie in [0, 1], got {self.gamma}, {self.lam}")

    @property
    def num_updates(self) -> int:
        return self.total_steps // self.steps_per_update

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class TrainConfig(AgentConfig):
    """Settings shared by PQN, PPO and DQN. One update = `rollout_steps` steps of `num_envs` envs,
    then `num_epochs` passes over the tape in `num_minibatches` minibatches of whole env streams
    (DQN draws its minibatches from a replay buffer instead, see `DQNConfig`).
    The agent's shape (`networks.Agent`): `num_layers` memory layers of `hidden_size`, each
    `residual` (LayerNorm of input + output) or not, the `previous_action` as an input, and
    LayerNorm in every encoder layer with `encoder_norm`."""

    memory: str = "lru"
    hidden_size: int = 128
    num_layers: int = 1
    previous_action: bool = False
    residual: bool = False
    encoder_norm: bool = False
    num_envs: int = 64
    rollout_steps: int = 64
    total_steps: int = 1_000_000
    learning_rate: float = 3e-4
    anneal_lr: bool = True
    max_grad_norm: float = 0.5
    gamma: float = 0.99
    lam: float = 0.9
    num_epochs: int = 2
    num_minibatches: int = 4

    def __post_init__(self):
        require_positive(self, "num_envs", "rollout_steps")  # before steps_per_update is used
        self.check_shared("num_epochs", "num_minibatches", "num_layers")
        if self.num_envs % self.num_minibatches:
            raise ValueError(
                f"num_envs ({self.num_envs}) must be a multiple of num_minibatches "
                f"({self.num_minibatches}): minibatches hold whole env streams"
            )

    @property
    def steps_per_update(self) -> int:
        return self.num_envs * self.rollout_steps

    @property
    def gradient_steps(self) -> int:
        """Optimizer steps over the whole run (what `anneal_lr` anneals over)."""
        return self.num_updates * self.num_epochs * self.num_minibatches

    @property
    def reads_previous_action(self) -> bool:
        """`previous_action`, except for the memoryless baseline: an agent that sees its last
        action can keep a bit in it (act on it, then copy it), which would be memory."""
        return self.previous_action and self.memory != "none"


@dataclass(frozen=True)
class QConfig(TrainConfig):
    """What PQN and DQN share: epsilon-greedy acting on Q-values, epsilon decaying linearly from
    `epsilon_start` to `epsilon_end` over `epsilon_fraction` of the updates, then constant; and
    rewards multiplied by `reward_scale` for learning (the Q-values' scale, not the returns
    logged). Both default to the POPGym Arcade paper's agent shape (2 residual layers of 64, the
    previous action as an input) on 16 envs, a constant learning rate (PQN anneals it), lam 0.95,
    4 epochs."""

    hidden_size: int = 64
    num_layers: int = 2
    previous_action: bool = True
    residual: bool = True
    num_envs: int = 16
    anneal_lr: bool = False
    lam: float = 0.95
    num_epochs: int = 4
    epsilon_start: float = 1.0
    epsilon_end: float = 0.05
    epsilon_fraction: float = 0.15
    reward_scale: float = 10.0

    def __post_init__(self):
        super().__post_init__()
        values = (self.epsilon_start, self.epsilon_end, self.epsilon_fraction)
        if not all(0 <= x <= 1 for x in values):
            raise ValueError(
                f"epsilon_start, epsilon_end and epsilon_fraction must lie in [0, 1], got {values}"
            )


@dataclass(frozen=True)
class PQNConfig(QConfig):
    """PQN: Q(lambda) targets, LayerNorm, no target network, no replay. Targets come from each
    minibatch's own pass with `fresh_targets`, else from the acting pass. The learning rate is
    annealed linearly to 0, as in the PQN paper's configurations (chosen on held-out seeds:
    assets/bench_pqn_200k.jsonl)."""

    algorithm: ClassVar[str] = "pqn"
    rollout_steps: int = 32
    learning_rate: float = 2.5e-4
    anneal_lr: bool = True
    num_minibatches: int = 8
    fresh_targets: bool = True


@dataclass(frozen=True)
class DQNConfig(QConfig):
    """DQN (`baselines/agents/dqn.py`): replay of whole tape segments, a target network and
    Double-DQN Q(lambda) targets (lam 0: one-step targets). Each update's tape goes into a ring
    buffer of `buffer_segments` segments (one per env: `rollout_steps` steps and the carry it
    started from). From `learning_starts` env steps on, each update takes `num_epochs` x
    `num_minibatches` gradient steps, each on `num_envs / num_minibatches` segments drawn
    uniformly from the buffer: as many gradient steps and segments as PQN's epochs, so
    `num_epochs` is the replay ratio (segments replayed per segment collected). The target
    network is a copy of the online one, refreshed every `target_update_interval` updates.
    16 envs x 25 steps: 400 env steps per update, so round budgets (2e4, 1e6) are whole updates;
    the learning rate, replay ratio, lam and reward scale are the best of six settings tried on
    CartPoleEasy (MDP, 64 px, 40k env steps, 2 seeds)."""

    algorithm: ClassVar[str] = "dqn"
    rollout_steps: int = 25
    buffer_segments: int = 256  # replay capacity, in segments of rollout_steps steps
    learning_starts: int = 2000  # env steps collected before the first gradient step
    target_update_interval: int = 10  # updates between copies of the online parameters

    def __post_init__(self):
        super().__post_init__()
        require_positive(self, "buffer_segments", "target_update_interval")
        if self.buffer_segments < self.num_envs:
            raise ValueError(
                f"buffer_segments ({self.buffer_segments}) must hold one update's "
                f"{self.num_envs} segments (num_envs)"
            )
        if not 0 <= self.learning_starts <= self.num_updates * self.steps_per_update:
            raise ValueError(
                f"learning_starts ({self.learning_starts}) must lie in [0, "
                f"{self.num_updates * self.steps_per_update}] (the env steps of total_steps)"
            )

    @property
    def first_learning_update(self) -> int:
        """The first update (counting from 0) that learns: the one whose rollout reaches
        `learning_starts` env steps."""
        return max(0, -(-self.learning_starts // self.steps_per_update) - 1)

    @property
    def gradient_steps(self) -> int:
        learning_updates = self.num_updates - self.first_learning_update
        return learning_updates * self.num_epochs * self.num_minibatches


@dataclass(frozen=True)
class PPOConfig(TrainConfig):
    """PPO: GAE advantages, clipped policy objective, clipped value loss, entropy bonus. Each
    epoch in 8 minibatches (of 8 envs: 32 gradient steps per update) and an entropy bonus of
    0.03, against the 4 and 0.01 PPO is usually run with: more gradient steps for the same
    compute, and a bonus against runs that settle on one set of actions early (chosen on
    held-out seeds: assets/bench_ppo_minibatches.jsonl)."""

    algorithm: ClassVar[str] = "ppo"

    lam: float = 0.95
    num_epochs: int = 4
    num_minibatches: int = 8
    clip_eps: float = 0.2
    value_coef: float = 0.5
    entropy_coef: float = 0.03


RTRL_MEMORIES = ("rtu", "nonlinear_rtu")


@dataclass(frozen=True)
class StreamQConfig(AgentConfig):
    """Streaming Q(lambda) (`baselines/agents/streaming.py`): each agent learns from its one env at
    every step, with no replay and no batches. `gradient` is "rtrl" (exact, for the memories in
    `RTRL_MEMORIES`) or "tbptt1" (through the current step only, any memory). `learning_rate` and
    `kappa` are ObGD's step size and overshooting bound. One update (one metrics record) is
    `steps_per_update` steps; epsilon decays linearly over `epsilon_fraction` of training.
    `rtu_r_max` is the largest |lambda| of an RTU's ring init (docs/models.md §5; default 1); below
    1 the memory starts short, so holding information longer has to be learned."""

    algorithm: ClassVar[str] = "stream_q"
    memory: str = "rtu"
    gradient: str = "rtrl"
    hidden_size: int = 64
    rtu_r_max: float = 1.0
    total_steps: int = 100_000
    steps_per_update: int = 500
    learning_rate: float = 1.0
    kappa: float = 2.0
    gamma: float = 0.99
    lam: float = 0.8
    epsilon_start: float = 1.0
    epsilon_end: float = 0.01
    epsilon_fraction: float = 0.1

    def __post_init__(self):
        require_positive(self, "steps_per_update")  # before num_updates is used
        self.check_shared()
        if self.gradient not in ("rtrl", "tbptt1"):
            raise ValueError(f"gradient must be 'rtrl' or 'tbptt1', got {self.gradient!r}")
        if self.gradient == "rtrl" and self.memory not in RTRL_MEMORIES:
            raise ValueError(
                f"exact RTRL is implemented for {RTRL_MEMORIES}, not {self.memory!r}; "
                "use gradient='tbptt1' for other memories"
            )
        if not 0 < self.rtu_r_max <= 1:
            raise ValueError(f"rtu_r_max must lie in (0, 1], got {self.rtu_r_max}")
        if self.rtu_r_max != 1 and self.memory not in RTRL_MEMORIES:
            raise ValueError(f"rtu_r_max applies to {RTRL_MEMORIES}, not {self.memory!r}")
        if self.learning_rate <= 0 or self.kappa <= 0:
            raise ValueError(
                f"learning_rate and kappa must be positive, got {self.learning_rate}, {self.kappa}"
            )

    @property
    def memory_options(self) -> tuple[tuple[str, float], ...]:
        """Keyword arguments of the memory model (`networks.Agent.memory_options`)."""
        return (("r_max", self.rtu_r_max),) if self.memory in RTRL_MEMORIES else ()
