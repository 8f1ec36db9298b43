"""scripts/train.py: every config field is an option, each algorithm runs from the command line,
and a bad setting, or a folder holding another run, is refused in one line before any work."""

import dataclasses
import json

import pytest

from baselines.agents.config import PQNConfig
from baselines.agents.registry import ALGORITHMS
from baselines.experiments import checkpoint
from scripts import train
from tests.baselines.experiments.cli_utils import assert_one_line_error

PROBE = ["probe:one_bit", "--obs-size", "32"]


def test_stream_q_trains_from_the_command_line(capsys):
    train.main([*PROBE, "--algorithm", "stream_q", "--gradient", "tbptt1", "--memory", "lru",
                "--hidden-size", "8", "--steps", "1000"])  # fmt: skip
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (summary["algorithm"], summary["memory"]) == ("stream_q", "lru")
    assert summary["env_steps_per_seed"] == 1000


@pytest.mark.slow  # a DQN run with its replay; the DQN tests train it in the default run
def test_dqn_trains_from_the_command_line(capsys):
    train.main([*PROBE, "--algorithm", "dqn", "--memory", "gru", "--hidden-size", "8",
                "--num-envs", "4", "--rollout-steps", "4", "--num-minibatches", "2",
                "--buffer-segments", "8", "--learning-starts", "16", "--steps", "64"])  # fmt: skip
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (summary["algorithm"], summary["memory"]) == ("dqn", "gru")
    assert summary["env_steps_per_seed"] == 64


FIELDS = {f.name for a in ALGORITHMS.values() for f in dataclasses.fields(a.config_type)}


@pytest.mark.parametrize("option", sorted(FIELDS))
def test_every_config_field_is_a_documented_option(capsys, option):
    with pytest.raises(SystemExit):
        train.main(["--help"])
    assert f"--{option.replace('_', '-')} " in capsys.readouterr().out


def test_options_reach_the_config_and_zero_means_zero():
    _, config = train.parse_args([*PROBE, "--algorithm", "ppo", "--no-anneal-lr", "--entropy-coef",
                                  "0", "--steps", "8192", "--num-envs", "32"])  # fmt: skip
    assert (config.anneal_lr, config.entropy_coef, config.total_steps) == (False, 0.0, 8192)
    assert (config.num_envs, config.clip_eps) == (32, 0.2)  # the rest: PPO's defaults


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--algorithm", "stream_q", "--num-envs", "4"), "--num-envs does not apply to stream_q"),
        (("--algorithm", "pqn", "--gradient", "rtrl"), "--gradient does not apply to pqn"),
        (("--algorithm", "pqn", "--clip-eps", "0.1"), "--clip-eps does not apply to pqn"),
        (("--algorithm", "ppo", "--memory", "lur"), "Did you mean 'lru'"),
        (("--seeds", "0"), "argument --seeds: must be a positive integer, got '0'"),
        (("--steps", "2.5"), "expected an integer, got '2.5'"),
        (("--steps", "0"), "total_steps (0) is less than one update"),
        (("--steps", "2e4"), "the nearest valid budgets are 19,968 and 20,480"),
        (("--num-envs", "0"), "num_envs must be a positive integer, got 0"),
        (
            ("--steps", "4096", "--switch-at=-512"),
            "switch_at (-512) must lie between 0 and the budget (4,096 env steps)",
        ),
        (("--steps", "4096", "--switch-at", "8192"), "must lie between 0 and the budget"),
        (
            ("--steps", "4096", "--switch-at", "1000"),
            "the nearest valid switches are 512 and 1,024",
        ),
        (("--switch-at", "1.5"), "expected an integer, got '1.5'"),
    ],
)
def test_bad_settings_are_refused_in_one_line(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        train.main([*PROBE, *args])
    assert exit_info.value.code == 2
    assert_one_line_error(capsys.readouterr().err, message)


def test_a_misspelt_env_id_is_refused_with_suggestions(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main(["CountRecalEasy"])
    assert exit_info.value.code == 2
    assert_one_line_error(capsys.readouterr().err, "did you mean CountRecallEasy")


def test_a_folder_of_another_run_is_refused_in_one_line(tmp_path):
    meta = {"env_id": "CartPoleEasy", "partial_obs": False, "obs_size": 64, "seeds": [0]}
    checkpoint.write_config(tmp_path, PQNConfig(), **meta)
    with pytest.raises(SystemExit) as exit_info:
        train.main([*PROBE, "--out", str(tmp_path), "--steps", "1024"])
    message = str(exit_info.value.code)
    assert message.startswith("train.py: error: ") and "\n" not in message
    assert "holds a run with other settings" in message and "env_id" in message
