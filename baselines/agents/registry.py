"""Every algorithm by name: its config class and its `make_train(config, env, env_params)`.

A config names its algorithm (`config.algorithm`), so `make_trainer(config, ...)` needs nothing
else; runs, sweeps, checkpoints and command lines all look algorithms up here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from baselines.agents import dqn, ppo, pqn, streaming
from baselines.agents.config import (
    AgentConfig,
    DQNConfig,
    PPOConfig,
    PQNConfig,
    StreamQConfig,
)
from baselines.agents.training import Trainer


class Algorithm(NamedTuple):
    config_type: type[AgentConfig]
    make_train: Callable[[Any, Any, Any], Trainer]


ALGORITHMS: dict[str, Algorithm] = {
    config_type.algorithm: Algorithm(config_type, make_train)
    for config_type, make_train in (
        (PQNConfig, pqn.make_train),
        (PPOConfig, ppo.make_train),
        (StreamQConfig, streaming.make_train),
        (DQNConfig, dqn.make_train),
    )
}


def config_type(algorithm: str) -> type[AgentConfig]:
    """The config class of `algorithm`; a ValueError lists the valid names."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {sorted(ALGORITHMS)}, got {algorithm!r}")
    return ALGORITHMS[algorithm].config_type


def make_trainer(config: AgentConfig, env: Any, env_params: Any) -> Trainer:
    """The trainer of `config`'s algorithm on `env`."""
    return ALGORITHMS[config.algorithm].make_train(config, env, env_params)
