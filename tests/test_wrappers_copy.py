"""Envs and wrappers survive `copy.copy`, `copy.deepcopy` and pickling, and step as before."""

import copy
import pickle

import jax
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.wrappers import LegacyStepWrapper, LogWrapper, ObservationNoise

ROUND_TRIPS = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
}


def _envs():
    env, params = pat.make("CountRecallEasy", obs_size=64, num_cards=3)
    return {
        "TwinEnv": env,
        "LogWrapper": LogWrapper(env),
        "LegacyStepWrapper": LegacyStepWrapper(env),
        "ObservationNoise": ObservationNoise(env, probability=0.5),
        "stacked": LegacyStepWrapper(LogWrapper(ObservationNoise(env, probability=0.5))),
    }, params


def _rollout(env, params, steps: int = 4) -> list:
    """Leaves of every reset and step output (frames included), for exact comparison."""
    obs, state = env.reset(jax.random.key(0), params)
    outputs = [obs, state]
    for t in range(steps):
        out = env.step(jax.random.key(t + 1), state, t % 5, params)
        state = out[1]
        outputs.append(out)
    return [np.asarray(leaf) for leaf in jax.tree.leaves(outputs)]


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize(
    "name", ["TwinEnv", "LogWrapper", "LegacyStepWrapper", "ObservationNoise", "stacked"]
)
def test_round_trip_steps_identically(name, round_trip):
    envs, params = _envs()
    env = envs[name]
    clone = ROUND_TRIPS[round_trip](env)
    assert type(clone) is type(env) and clone is not env
    expected, got = _rollout(env, params), _rollout(clone, params)
    assert len(expected) == len(got)
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_array_equal(a, b)


def test_wrapper_still_forwards_attributes_after_a_round_trip():
    env = pickle.loads(pickle.dumps(ObservationNoise(LogWrapper(_envs()[0]["TwinEnv"]), 0.25)))
    assert env.probability == 0.25 and env.obs_size == 64 and env.num_actions == pat.NUM_ACTIONS
    with pytest.raises(AttributeError, match="no_such_attribute"):
        _ = env.no_such_attribute
