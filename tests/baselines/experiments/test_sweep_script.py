"""scripts/sweep.py: every sweep and agent setting is an option, and a bad grid is refused in one
line (exit code 2) before any work, leaving no output folder."""

import dataclasses

import pytest

from baselines.agents.registry import ALGORITHMS
from baselines.experiments.sweep import SweepConfig
from scripts import sweep
from tests.baselines.experiments.cli_utils import assert_one_line_error

FIELDS = {f.name for f in dataclasses.fields(SweepConfig)} - {"agent"}
AGENT_FIELDS = {f.name for a in ALGORITHMS.values() for f in dataclasses.fields(a.config_type)}


@pytest.mark.parametrize("option", sorted(FIELDS | AGENT_FIELDS - {"memory"}))
def test_every_setting_is_a_documented_option(capsys, option):
    with pytest.raises(SystemExit):
        sweep.main(["--help"])
    assert f"--{option.replace('_', '-')} " in capsys.readouterr().out


def test_options_reach_the_sweep_and_its_agent():
    _, config = sweep.parse_args(["--tiny", "--seeds", "3", "--envs", "probe:colour",
                                  "probe:one_bit", "--no-quick-compile", "--eval-episodes", "5",
                                  "--steps", "128", "--epsilon-end", "0",
                                  "--switch-at", "64"])  # fmt: skip
    assert config.seeds == (0, 1, 2)
    assert config.env_ids == ("probe:colour", "probe:one_bit")
    assert (config.quick_compile, config.eval_episodes, config.obs_size) == (False, 5, 32)
    assert (config.agent.total_steps, config.agent.epsilon_end) == (128, 0.0)
    assert config.switch_at == 64 and config.cells()[0].name == "probe:colour/MDP/lru/switch-at-64"
    assert config.agent.hidden_size == 16  # the rest: the tiny sweep's


def test_another_algorithm_starts_from_its_defaults():
    _, config = sweep.parse_args(["--algorithm", "ppo", "--clip-eps", "0.1"])
    assert (config.agent.algorithm, config.agent.clip_eps, config.agent.num_epochs) == (
        "ppo", 0.1, 4
    )  # fmt: skip


def test_the_capacity_preset_prints_its_grid():
    _, config = sweep.parse_args(["--preset", "capacity"])
    text = sweep.plan(config, None)
    assert "3 memory models x 12 capacities (1/2/3 layers x 32/64/128/256 units)" in text
    assert "= 84 cells x 6 seeds" in text
    _, config = sweep.parse_args(["--tiny", "--hidden-sizes", "8", "16"])
    assert config.capacities() == ((2, 8), (2, 16))  # the agent's 2 layers


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--envs", "probe:one_bit", "CountRecalEasy"), "did you mean CountRecallEasy"),
        (("--envs", "probe:one_bt"), "task must be one of"),
        (("--seeds", "0"), "argument --seeds: must be a positive integer, got '0'"),
        (("--steps", "0"), "total_steps (0) is less than one update"),
        (("--steps", "2e4"), "the nearest valid budgets are 19,968 and 20,032"),
        (("--envs", "CartPoleEasy", "--obs-size", "65"), "obs_size must be one of (64, 128, 256)"),
        (("--tiny", "--obs-size", "0"), "obs_size must be a positive integer, got 0"),
        (("--tiny", "--obs-size", "48"), "a probe's obs_size must be a power of 2 >= 32, got 48"),
        (("--eval-episodes", "0"), "eval_episodes must be a positive integer, got 0"),
        (("--memories", "gru", "lur"), "Did you mean 'lru'"),
        (("--baseline", "lstm"), "unknown memory model 'lstm'"),
        (("--algorithm", "stream_q", "--num-envs", "4"), "--num-envs does not apply to stream_q"),
        (("--switch-at=-64",), "switch_at (-64) must lie between 0 and the budget (192 env steps)"),
        (("--switch-at", "256"), "switch_at (256) must lie between 0 and the budget"),
        (("--switch-at", "100"), "the nearest valid switches are 64 and 128"),
        (("--steps", "128", "--switch-at", "192"), "between 0 and the budget (128 env steps)"),
    ],
)
def test_a_bad_grid_is_refused_before_any_work(capsys, tmp_path, args, message):
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) as exit_info:
        sweep.main(["--tiny", "--no-progress", "--out", str(out), *args])
    assert exit_info.value.code == 2
    assert_one_line_error(capsys.readouterr().err, message)
    assert not out.exists()
