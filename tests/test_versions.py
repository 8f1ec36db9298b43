"""Game versions: versioned ids, the plain id as the latest, clear errors, probes' versions."""

import dataclasses

import gymnax
import jax
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins import tasks
from popgym_arcade_twins.envs import count_recall


def test_versioned_id_builds_the_same_env_as_the_plain_one():
    plain, plain_params = pat.make("CartPoleEasy", partial_obs=True, obs_size=64)
    versioned, params = pat.make("CartPoleEasy-v1", partial_obs=True, obs_size=64)
    assert versioned.version == plain.version == pat.game_version("CartPoleEasy") == 1
    assert versioned.game == plain.game and versioned.config == plain.config
    assert params == plain_params
    key = jax.random.key(0)
    np.testing.assert_array_equal(plain.reset(key, params)[0], versioned.reset(key, params)[0])


def test_unknown_version_is_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match=r"CartPoleEasy has no version 7; valid: CartPoleEasy-v1"):
        pat.make("CartPoleEasy-v7")
    with pytest.raises(ValueError, match="did you mean CountRecallEasy"):
        pat.make("CountRecalEasy-v1")


def test_plain_id_means_the_latest_version_and_each_version_stays_reachable():
    v1 = dataclasses.replace(count_recall.GAME, name="CountRecallVersioned")
    v2 = dataclasses.replace(v1, version=2)
    pat.register(v1, presets={"Easy": {"num_cards": 4}})
    assert pat.make("CountRecallVersionedEasy")[0].version == 1
    pat.register(v2, presets={"Easy": {"num_cards": 6}})
    assert pat.versions("CountRecallVersionedEasy") == (1, 2)
    assert pat.registered_envs().count("CountRecallVersionedEasy") == 1
    latest = pat.make("CountRecallVersionedEasy")[0]
    old = pat.make("CountRecallVersionedEasy-v1")[0]
    assert (latest.version, latest.config.num_cards) == (2, 6)
    assert (old.version, old.config.num_cards) == (1, 4)
    assert gymnax.make("CountRecallVersionedEasy-v1", obs_size=64)[0].config.num_cards == 4
    assert gymnax.make("CountRecallVersionedEasy", obs_size=64)[0].version == 2
    with pytest.raises(ValueError, match=r"already registered: \['CountRecallVersionedEasy-v2'\]"):
        pat.register(v2, presets={"Easy": {"num_cards": 6}})


@pytest.mark.parametrize("version", [0, -1, 1.5, True])
def test_a_game_version_is_an_int_of_at_least_one(version):
    with pytest.raises(ValueError, match="version must be an int >= 1"):
        dataclasses.replace(count_recall.GAME, version=version)


def test_probe_tasks_carry_a_version():
    assert tasks.game_version("probe:one_bit") == tasks.game_version("probe:one_bit-v1") == 1
    assert tasks.game_version("CountRecallEasy-v1") == 1
    env, _ = tasks.make("probe:one_bit-v1", partial_obs=True, obs_size=64)
    assert env.version == 1 and env.config.task == "one_bit"
    with pytest.raises(ValueError, match="probe tasks have version 1 only"):
        tasks.make("probe:one_bit-v2", partial_obs=True)
