"""scripts/soak.py: long checked rollouts pass on real games (random and expert actions, both
twins) and fail a game that breaks the return bound or produces NaN."""

import dataclasses
import json

import jax
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import TwinEnv
from scripts import soak

pytestmark = pytest.mark.slow  # trains or runs whole scripts: CI runs it (-m "slow or not slow")

RUNS = {"MDP/random", "MDP/expert", "POMDP/random", "POMDP/expert"}


def test_two_ids_pass_with_every_number_printed(monkeypatch, capsys):
    argv = ["soak.py", "--ids", "CartPoleEasy", "CountRecallEasy", "--steps", "1024",
            "--num-envs", "4", "--obs-size", "64"]  # fmt: skip
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        soak.main()
    assert exit_info.value.code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == ["CartPoleEasy", "CountRecallEasy"]
    for line in lines:
        assert line["pass"] and set(line["runs"]) == RUNS
        for name, run in line["runs"].items():
            assert run["steps"] == 1024 and run["nonfinite"] == 0
            assert run["frame_dtype"] == "uint8" and run["frame_min"] < run["frame_max"]
            assert run["max_length"] <= run["length_limit"] and run["max_abs_return"] <= 1 + 1e-5
            if name.endswith("random"):  # the expert may balance a pole for all 256 steps
                assert run["episodes"] > 0 and run["max_length"] > 0


@pytest.mark.parametrize("scale, broken", [(100.0, "max_abs_return"), (float("nan"), "nonfinite")])
def test_a_game_with_unbounded_or_nan_rewards_fails(scale, broken):
    env, params = pat.make("CountRecallEasy", obs_size=64)

    def step(*args):
        state, reward, terminated = env.game.step(*args)
        return state, reward * scale + 1e-3, terminated  # every step rewarded, scaled

    game = dataclasses.replace(env.game, step=step)
    bad = TwinEnv(game, env.config, params, 64, partial_obs=False)
    act = soak.policies(bad)["random"]
    result = soak.soak(bad, params, act, num_envs=4, num_steps=64, key=jax.random.key(0))
    assert not result["pass"]
    assert result[broken] > (1 if broken == "max_abs_return" else 0)
