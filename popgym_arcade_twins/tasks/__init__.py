"""Tasks beyond the registered games: probe tasks with known answers (`probes`) and bsuite's
MemoryChain (`memory_chain`), both on the twin core, for tests and small experiments.

`make` resolves a registered id or a probe named "probe:<task>" (e.g. "probe:one_bit"), so a
run or a sweep of seconds can stand in for a game.
"""

from __future__ import annotations

from typing import Any

import popgym_arcade_twins as pat
from popgym_arcade_twins.tasks.probes import TASKS, make_probe

PROBE_PREFIX = "probe:"


def make(env_id: str, partial_obs: bool, obs_size: int = 128) -> tuple[Any, Any]:
    """(env, params) of a registered id or of "probe:<task>"."""
    if env_id.startswith(PROBE_PREFIX):
        return make_probe(env_id[len(PROBE_PREFIX) :], partial_obs=partial_obs, obs_size=obs_size)
    return pat.make(env_id, partial_obs=partial_obs, obs_size=obs_size)


__all__ = ["PROBE_PREFIX", "TASKS", "make", "make_probe"]
