"""Tasks beyond the registered games: probe tasks with known answers (`probes`) and bsuite's
MemoryChain (`memory_chain`), both on the twin core, for tests and small experiments.

`make` resolves a registered id or a probe named "probe:<task>" (e.g. "probe:one_bit"), so a
run or a sweep of seconds can stand in for a game. Probes carry a version like the games
(`probes.GAME.version`): "probe:one_bit-v1" names it, the plain name means the latest, and
`game_version(env_id)` gives the version of either kind of id.
"""

from __future__ import annotations

import re
from typing import Any

import popgym_arcade_twins as pat
from popgym_arcade_twins.tasks import probes
from popgym_arcade_twins.tasks.probes import TASKS, make_probe

PROBE_PREFIX = "probe:"


def make(env_id: str, partial_obs: bool, obs_size: int = 128) -> tuple[Any, Any]:
    """(env, params) of a registered id or of "probe:<task>" (optionally "probe:<task>-v<N>")."""
    if env_id.startswith(PROBE_PREFIX):
        return make_probe(_probe_task(env_id), partial_obs=partial_obs, obs_size=obs_size)
    return pat.make(env_id, partial_obs=partial_obs, obs_size=obs_size)


def game_version(env_id: str) -> int:
    """The version of the game or probe an id resolves to (see `pat.game_version`)."""
    if env_id.startswith(PROBE_PREFIX):
        _probe_task(env_id)  # validates the version
        return probes.GAME.version
    return pat.game_version(env_id)


def _probe_task(env_id: str) -> str:
    """The task of "probe:<task>" or "probe:<task>-v<N>"; other versions than the probes' raise."""
    task = env_id[len(PROBE_PREFIX) :]
    match = re.fullmatch(r"(?P<task>.+)-v(?P<version>[0-9]+)", task)
    if match is None:
        return task
    if int(match["version"]) != probes.GAME.version:
        raise ValueError(
            f"{env_id!r}: probe tasks have version {probes.GAME.version} only; "
            f"valid: {PROBE_PREFIX}{match['task']}-v{probes.GAME.version}"
        )
    return match["task"]


__all__ = ["PROBE_PREFIX", "TASKS", "game_version", "make", "make_probe"]
