"""Ids, keywords and errors of `make`, `make_twins`, `register`, and the gymnax registration."""

import dataclasses

import gymnax
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.envs import count_recall


def test_ids_come_from_the_presets_of_every_game():
    expected = [f"{g.name}{d}" for g in pat.GAMES for d in g.presets]
    assert pat.registered_envs()[: len(expected)] == expected  # tests may register more after
    assert {"CountRecallEasy", "MineSweeperHard", "CartPoleMedium"} <= set(expected)


def test_make_accepts_popgym_arcade_keywords():
    env, params = pat.make("CountRecallEasy", partial_obs=True, obs_size=256)
    assert env.partial_obs and env.obs_size == 256
    assert env.observation_space(params).shape == (256, 256, 3)
    assert params.max_steps_in_episode == 26 + 100


def test_presets_set_config_and_params():
    hard, params = pat.make("MineSweeperHard")
    assert (hard.config.board_size, hard.config.num_mines) == (8, 10)
    assert params.max_steps_in_episode == 2 * 64 and params.safe_reward == pytest.approx(1 / 54)


def test_overrides_reach_config_and_params():
    env, params = pat.make("CountRecallEasy", num_cards=10, max_steps_in_episode=50)
    assert env.config.num_cards == 10 and params.correct_reward == pytest.approx(0.1)
    assert params.max_steps_in_episode == 50


def test_make_twins_share_params_and_differ_in_observability():
    mdp, pomdp, params = pat.make_twins("CartPoleEasy", obs_size=64)
    assert not mdp.partial_obs and pomdp.partial_obs
    assert mdp.config == pomdp.config and mdp.default_params == pomdp.default_params == params


def test_unknown_id_names_close_matches():
    with pytest.raises(ValueError, match="did you mean CountRecallEasy"):
        pat.make("CountRecalEasy")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"obs_size": 100}, ValueError, r"obs_size must be one of \(64, 128, 256\), got 100"),
        ({"partial_obs": "yes"}, TypeError, "partial_obs must be True or False, got 'yes'"),
        ({"num_card": 3}, TypeError, r"no setting \['num_card'\].*num_cards"),
        ({"num_types": 9}, ValueError, "num_types must be in 1..4"),
        ({"max_steps_in_episode": "long"}, TypeError, "must be a number"),
    ],
)
def test_bad_keywords_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        pat.make("CountRecallEasy", **kwargs)


def test_register_rejects_duplicates_and_bad_presets():
    with pytest.raises(ValueError, match="already registered"):
        pat.register(count_recall.GAME)
    renamed = dataclasses.replace(count_recall.GAME, name="CountRecallTypo")
    with pytest.raises(TypeError, match="no setting"):
        pat.register(renamed, presets={"Easy": {"num_crads": 4}})
    assert "CountRecallTypoEasy" not in pat.registered_envs()


def test_register_adds_ids_to_both_registries():
    game = dataclasses.replace(count_recall.GAME, name="CountRecallTiny")
    assert pat.register(game, presets={"Easy": {"num_cards": 4}}) == ["CountRecallTinyEasy"]
    env, params = pat.make("CountRecallTinyEasy")
    assert env.config.num_cards == 4
    gym_env, gym_params = gymnax.make("CountRecallTinyEasy", partial_obs=True, obs_size=64)
    assert gym_env.partial_obs and gym_params.max_steps_in_episode == 104


def test_gymnax_make_finds_every_id():
    assert set(pat.registered_envs()) <= set(gymnax.registered_envs)
    env, params = gymnax.make("MineSweeperEasy", partial_obs=True)
    assert isinstance(env, pat.TwinEnv) and env.partial_obs
