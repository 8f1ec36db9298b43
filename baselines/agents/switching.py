"""Switching observability mid-training: updates on one twin, then on the other.

The twins of a game share one latent state, so the runner state of a trainer built for one twin
is a runner state of a trainer built for the other (the same pytree): a run can continue on the
other twin with its env states, memory carries, parameters, optimizer state, key and update
count intact. Only the frame each actor acts on next was drawn by the first twin; `enter`
redraws it with the second. A run is a tuple of `Stage`s (`stages`); `train` runs them all in
one jittable call, and chunked loops (`experiment.run`, the sweep) call `enter` where a stage
after the first begins.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax

from baselines.agents.config import AgentConfig
from baselines.agents.registry import make_trainer
from baselines.agents.training import Trainer


class Stage(NamedTuple):
    """Updates `start` .. `stop` - 1 of a run, by `trainer`, built for the twin `env`."""

    trainer: Trainer
    env: Any
    start: int
    stop: int


def switch_update(switch_at: int, config: AgentConfig) -> int:
    """The update at which a run of `config` switches twins at env step `switch_at` (per seed);
    a ValueError unless it is a whole number of updates between 0 and the budget."""
    budget = config.num_updates * config.steps_per_update
    if not 0 <= switch_at <= budget:
        raise ValueError(
            f"switch_at ({switch_at:,}) must lie between 0 and the budget ({budget:,} env steps)"
        )
    update, rest = divmod(switch_at, config.steps_per_update)
    if rest:
        valid = " and ".join(f"{n * config.steps_per_update:,}" for n in (update, update + 1))
        raise ValueError(
            f"switch_at ({switch_at:,}) is not a whole number of updates of "
            f"{config.steps_per_update:,} env steps; the nearest valid switches are {valid}"
        )
    return update


def stages(
    config: AgentConfig, first: Any, second: Any, env_params: Any, switch_at: int | None
) -> tuple[Stage, ...]:
    """A run of `config` on the twin `first` that switches to its twin `second` at env step
    `switch_at` (None: never). Stages without updates are left out, so a switch at 0 is the
    plain run on `second` and one at the end the plain run on `first`."""
    split = config.num_updates if switch_at is None else switch_update(switch_at, config)
    parts = ((first, 0, split), (second, split, config.num_updates))
    return tuple(
        Stage(make_trainer(config, env, env_params), env, start, stop)
        for env, start, stop in parts
        if start < stop
    )


def enter(stage: Stage, state: Any) -> Any:
    """`state` (any algorithm's runner state) with the frames its actors act on next redrawn by
    `stage`'s twin; nothing else changes."""
    actors = state.actors
    obs = jax.vmap(stage.env.draw)(actors.env_state.env_state)  # under the LogWrapper's state
    return state.replace(actors=actors.replace(obs=obs))


def train(run: tuple[Stage, ...], key: jax.Array) -> tuple[Any, dict]:
    """Init by the first stage's trainer, then every stage's updates, each later stage from the
    state the one before left, `enter`ed; metrics stacked over all updates. Jittable and
    vmappable over keys."""
    state, metrics = run[0].trainer.init(key), []
    for index, stage in enumerate(run):
        if index:
            state = enter(stage, state)
        update = lambda s, _, stage=stage: stage.trainer.update(s)
        state, stage_metrics = jax.lax.scan(update, state, None, stage.stop - stage.start)
        metrics.append(stage_metrics)
    return state, jax.tree.map(lambda *m: jax.numpy.concatenate(m), *metrics)
