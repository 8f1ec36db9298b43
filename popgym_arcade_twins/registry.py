"""Ids generated from each game's difficulty presets, validated, with close-match suggestions.

`make("CountRecallEasy", partial_obs=True, obs_size=128)` takes the names and keywords POPGym Arcade
users type. An id may name a game version, "CountRecallEasy-v1"; the plain id means the latest
registered (`Game.version`). Every id, plain and versioned, is also registered with gymnax, so
`gymnax.make(id, partial_obs=...)` works once `popgym_arcade_twins` is imported, and each version
with gymnasium as `gymnasium_id(id, version)` (e.g. "popgym_arcade_twins/CountRecallEasy-v1"), so
`gymnasium.make` and `gymnasium.make_vec` work (their entry points, in `gymnasium_env`, are
imported only then).
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
import re
from collections.abc import Mapping
from typing import Any

import gymnasium
import gymnax.registration

from popgym_arcade_twins.core import Game, Params, TwinEnv

OBS_SIZES = (64, 128, 256)
"""128 and 256 are the benchmark sizes; 64 is for fast tests."""

GYMNASIUM_NAMESPACE = "popgym_arcade_twins"


@dataclasses.dataclass(frozen=True)
class EnvSpec:
    id: str  # the plain id, e.g. "CartPoleEasy"
    game: Game
    preset: Mapping[str, Any]

    @property
    def version(self) -> int:
        return self.game.version

    @property
    def versioned_id(self) -> str:
        """The id with its version, e.g. "CartPoleEasy-v1"."""
        return f"{self.id}-v{self.version}"


_SPECS: dict[str, dict[int, EnvSpec]] = {}  # plain id -> version -> spec
_VERSIONED = re.compile(r"(?P<id>.+)-v(?P<version>[1-9][0-9]*)")


def register(game: Game, presets: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Register one id per difficulty preset of `game` (default: `game.presets`); returns the
    plain ids.

    Each id is registered at `game.version`: `make(f"{id}-v{game.version}")` builds it, and the
    plain id builds the highest version registered. Also registers the plain and versioned ids
    with gymnax, and the versioned id with gymnasium. An (id, version) already taken is rejected,
    as are presets with keys that are not fields of the game's config or params.
    """
    presets = game.presets if presets is None else presets
    ids = [f"{game.name}{difficulty}" for difficulty in presets]
    specs = [
        EnvSpec(env_id, game, dict(p)) for env_id, p in zip(ids, presets.values(), strict=True)
    ]
    taken = [spec.versioned_id for spec in specs if spec.version in _SPECS.get(spec.id, {})]
    if taken:
        raise ValueError(f"already registered: {taken}")
    for spec in specs:
        _build(spec, {})  # validate every preset before registering any
    for spec in specs:
        _SPECS.setdefault(spec.id, {})[spec.version] = spec
        for gymnax_id in (spec.id, spec.versioned_id):
            if gymnax_id not in gymnax.registration.registered_envs:
                gymnax.registration.register(gymnax_id, _gymnax_factory(gymnax_id))
        if gymnasium_id(spec.id, spec.version) not in gymnasium.registry:
            gymnasium.register(
                gymnasium_id(spec.id, spec.version),
                entry_point="popgym_arcade_twins.gymnasium_env:GymnasiumEnv",
                vector_entry_point="popgym_arcade_twins.gymnasium_env:GymnasiumVectorEnv",
                kwargs={"env_id": spec.versioned_id},
            )
    return ids


def gymnasium_id(env_id: str, version: int | None = None) -> str:
    """The id gymnasium knows a version of `env_id` by (default: the latest), in gymnasium's
    namespace/name-version form: "popgym_arcade_twins/<env_id>-v<version>"."""
    return f"{GYMNASIUM_NAMESPACE}/{env_id}-v{version or game_version(env_id)}"


def registered_envs() -> list[str]:
    """Every registered plain id, in registration order (each resolves to its latest version)."""
    return list(_SPECS)


def versions(env_id: str) -> tuple[int, ...]:
    """The registered versions of a plain id, ascending."""
    return tuple(sorted(_spec_versions(env_id)))


def game_version(env_id: str) -> int:
    """The version an id resolves to: its own for "CartPoleEasy-v1", the latest for a plain id."""
    return _spec(env_id).version


def make(
    env_id: str, partial_obs: bool = False, obs_size: int = 128, **overrides: Any
) -> tuple[TwinEnv, Params]:
    """Build one variant of a registered game: `(env, params)`.

    `env_id` is a plain id (the latest version) or a versioned one ("CartPoleEasy-v1");
    `env.version` is the version built. `overrides` replace preset values by field name, config
    (shape-changing, e.g. `num_cards`) or params (numeric, e.g. `max_steps_in_episode`).
    """
    spec = _spec(env_id)
    if not isinstance(partial_obs, bool):
        raise TypeError(f"partial_obs must be True or False, got {partial_obs!r}")
    if obs_size not in OBS_SIZES:
        raise ValueError(f"obs_size must be one of {OBS_SIZES}, got {obs_size!r}")
    config, params = _build(spec, overrides)
    env = TwinEnv(spec.game, config, params, obs_size=obs_size, partial_obs=partial_obs)
    return env, params


def make_twins(
    env_id: str, obs_size: int = 128, **overrides: Any
) -> tuple[TwinEnv, TwinEnv, Params]:
    """Both variants of a game, sharing config and params: `(mdp_env, pomdp_env, params)`."""
    if "partial_obs" in overrides:
        raise TypeError("make_twins builds both variants: drop partial_obs (or use make)")
    mdp, params = make(env_id, partial_obs=False, obs_size=obs_size, **overrides)
    pomdp, _ = make(env_id, partial_obs=True, obs_size=obs_size, **overrides)
    return mdp, pomdp, params


def _spec(env_id: str) -> EnvSpec:
    """The spec of a plain id (its latest version) or of a versioned id "<id>-v<N>"."""
    match = _VERSIONED.fullmatch(str(env_id))
    if str(env_id) not in _SPECS and match and match["id"] in _SPECS:
        by_version, version = _SPECS[match["id"]], int(match["version"])
        if version not in by_version:
            valid = ", ".join(f"{match['id']}-v{v}" for v in sorted(by_version))
            raise ValueError(f"{env_id!r}: {match['id']} has no version {version}; valid: {valid}")
        return by_version[version]
    by_version = _spec_versions(env_id)
    return by_version[max(by_version)]


def _spec_versions(env_id: str) -> dict[int, EnvSpec]:
    if env_id in _SPECS:
        return _SPECS[env_id]
    close = difflib.get_close_matches(str(env_id), list(_SPECS), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; registered ids: {sorted(_SPECS)}"
    raise ValueError(f"unknown env id {env_id!r}{hint}")


def _build(spec: EnvSpec, overrides: Mapping[str, Any]) -> tuple[Any, Params]:
    """(config, params) of a spec's preset with `overrides` applied; bad names or values raise."""
    settings = {**spec.preset, **overrides}
    config_fields = {f.name for f in dataclasses.fields(spec.game.config_type)}
    config = spec.game.config_type(**{k: v for k, v in settings.items() if k in config_fields})
    params = spec.game.make_params(config)
    params_fields = {f.name for f in dataclasses.fields(params)}
    unknown = sorted(set(settings) - config_fields - params_fields)
    if unknown:
        raise TypeError(
            f"{spec.id} has no setting {unknown}; config: {sorted(config_fields)}, "
            f"params: {sorted(params_fields)}"
        )
    for name in settings.keys() & params_fields:
        if not isinstance(settings[name], numbers.Real) or isinstance(settings[name], bool):
            raise TypeError(f"{spec.id}: {name} must be a number, got {settings[name]!r}")
    return config, params.replace(**{k: v for k, v in settings.items() if k in params_fields})


def _gymnax_factory(env_id: str):
    def factory(**kwargs: Any) -> TwinEnv:
        return make(env_id, **kwargs)[0]

    return factory
