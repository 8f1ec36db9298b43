"""Every game's scripted expert reaches the return threshold kept beside its definition, and
random play does not (Easy ids: Medium and Hard hold their thresholds too, but take minutes)."""

import dataclasses

import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.envs import GAMES, count_recall
from popgym_arcade_twins.testing import check_expert

pytestmark = pytest.mark.slow  # plays every Easy id to the end: CI runs it (-m "slow or not slow")


def test_every_game_has_an_expert_and_a_threshold_per_difficulty():
    for game in GAMES:
        assert game.expert is not None and set(game.expert_return) == set(game.presets), game.name


@pytest.mark.parametrize("env_id", [f"{game.name}Easy" for game in GAMES])
def test_expert_reaches_its_threshold_and_random_play_does_not(env_id):
    expert, random = check_expert(env_id)
    assert expert > random


@pytest.mark.parametrize(
    ("name", "threshold", "message"),
    [("Unreachable", 1.5, "the expert's mean return"), ("Trivial", -1.0, "random play reaches")],
)
def test_check_expert_fails_a_threshold_out_of_reach_or_within_chance(name, threshold, message):
    game = dataclasses.replace(count_recall.GAME, name=name, expert_return={"Easy": threshold})
    pat.register(game, presets={"Easy": {"num_cards": 4}})
    with pytest.raises(AssertionError, match=message):
        check_expert(f"{name}Easy", num_envs=4)
