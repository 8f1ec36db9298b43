"""The conformance suite over every registered id, and the suite's own ability to fail."""

import dataclasses

import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.envs import count_recall
from popgym_arcade_twins.testing import check_env, check_twins


@pytest.mark.parametrize(
    "env_id",
    [  # every game's Easy preset by default; the others compile much the same programs
        env_id if env_id.endswith("Easy") else pytest.param(env_id, marks=pytest.mark.slow)
        for env_id in pat.registered_envs()
    ],
)
def test_twins_conform(env_id):
    check_twins(env_id)


def _broken_game(name, **changes):
    game = dataclasses.replace(count_recall.GAME, name=name, **changes)
    pat.register(game, presets={"Easy": {"num_cards": 4}})
    return pat.make(f"{name}Easy", obs_size=64)


def test_check_env_catches_returns_above_one():
    def generous_step(key, state, action, config, params):
        state, reward, terminated = count_recall.step(key, state, action, config, params)
        return state, reward + 0.5, terminated

    env, params = _broken_game("Generous", step=generous_step)
    with pytest.raises(AssertionError, match="outside"):
        check_env(env, params)


def test_check_env_catches_a_retrace():
    def weak_reset(key, config, params):
        return count_recall.reset(key, config, params).replace(counter=0)  # weak-typed python int

    env, params = _broken_game("Retrace", reset=weak_reset)
    with pytest.raises(AssertionError, match="retraces"):
        check_env(env, params)


def test_check_twins_catches_identical_frames():
    class Revealing(count_recall.Renderer):
        def pomdp(self, state):
            return self.mdp(state)

    _broken_game("Identical", renderer=Revealing)
    with pytest.raises(AssertionError, match="identical"):
        check_twins("IdenticalEasy")
