"""The benchmark scripts refuse a user's mistake in one line, before any training; the reference
returns print as JSON."""

import importlib.util
import json
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from baselines.experiments.bench_log import BenchLog
from popgym_arcade_twins import tasks, testing

ROOT = Path(__file__).resolve().parents[1]


def refused(capsys, call, argv: list[str]) -> str:
    """The one line a script's `call(argv)` refuses with (exit code 2, nothing on stdout)."""
    with pytest.raises(SystemExit) as exit_info:
        call(argv)
    output = capsys.readouterr()
    assert exit_info.value.code == 2 and not output.out
    error = output.err.strip().splitlines()[-1]
    assert "error:" in error
    return error


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses (flax modules among them) look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--envs", "CartPoleEasy"], "expected GAME:MDP or GAME:POMDP, got 'CartPoleEasy'"),
        (["--envs", "CartPolEasy:MDP"], "did you mean"),
        (["--pqn-memory", "lstm"], "lstm"),
        (["--budgets", "-5"], "-5"),
        (["--budgets", "1000"], "less than one update"),
        (["--ppo-options", "num_envs"], "expected NAME=VALUE"),
        (["--ppo-options", "memory=gru"], "expected NAME=VALUE"),
        (["--pqn-options", "num_envs=eight"], "num_envs expects int, got 'eight'"),
        (["--ppo-options", "num_envs=6"], "multiple of num_minibatches"),
    ],
)
def test_bench_rejax_refuses_bad_settings_in_one_line(capsys, argv, message):
    assert message in refused(
        capsys, script("bench_rejax").parse_args, [*argv, "--agents", "ours-pqn"]
    )


def test_bench_rejax_options_set_ours_fields_by_their_types():
    module = script("bench_rejax")
    argv = ["--agents", "ours-ppo", "--ppo-options", "num_envs=8", "anneal_lr=false"]
    args = module.parse_args([*argv, "learning_rate=1e-3", "--budgets", "32768"])
    config = module.ours_config("ours-ppo", 32768, args)
    assert (config.num_envs, config.anneal_lr, config.learning_rate) == (8, False, 1e-3)
    assert module.ours_config("ours-pqn", 32768, args) == module.PQNConfig(total_steps=32768)


def test_bench_update_refuses_a_bad_config_in_one_line(capsys):
    argv = ["--num-envs", "6", "--num-minibatches", "4"]
    assert "multiple of num_minibatches" in refused(capsys, script("bench_update").main, argv)


def test_bench_references_prints_each_reference_and_refuses_an_unknown_id(capsys):
    main, argv = script("bench_references").main, ["--ids", "CountRecallEasy", "NoSuchGameEasy"]
    assert "unknown env id 'NoSuchGameEasy'" in refused(capsys, main, argv)  # before any work
    script("bench_references").main(["--ids", "CountRecallEasy-v1", "--episodes", "16"])
    line = json.loads(capsys.readouterr().out)
    assert (line["id"], line["episodes"], line["expert_return"]) == ("CountRecallEasy-v1", 16, 1.0)
    assert line["expert_positive"] == 1.0  # every expert episode scores
    assert line["random_return"] < 0.5 and line["random_sem"] > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--obs-size", "48"], "obs_size must be one of"),
        (["--steps", "2"], "--steps must be at least 4"),
        (["--variants", "both"], "invalid choice: 'both'"),
        (["--envs", "NavigatorEasy"], "--probe cursor-shot needs a BattleShip game, got Navigator"),
        (["--probe", "expert-action", "--envs", "Navigator"], "unknown env id 'Navigator'"),
    ],
)
def test_bench_encoder_refuses_bad_settings_in_one_line(capsys, argv, message):
    assert message in refused(capsys, script("bench_encoder").main, argv)


def test_bench_encoder_takes_frames_of_the_expert_acting_at_random_epsilon_of_the_time():
    module = script("bench_encoder")
    env, params = tasks.make("NavigatorEasy", False, 64)
    spec = module.PROBES["expert-action"]
    expert, behaviour = testing.expert_policy(env, params), spec.behaviour(env, params)

    def record(step):  # the behaviour's action and the expert's in the same state
        return step.action, expert(None, step.obs, step.state, (), step.start)[1]

    _, (taken, wanted) = testing.run(
        env, params, behaviour, jax.random.key(0), 64, 32, record=record
    )
    agreement = float((taken == wanted).mean())  # 1 - eps + eps / 5 in expectation
    assert abs(agreement - (1 - 0.8 * module.EPSILON)) < 0.03


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--first-seed", "-1"], "must be an integer of at least 0, got '-1'"),
        (["--runs", "ppo:lru:CartPoleEasy"], "expected algorithm:memory:env_id:mdp|pomdp"),
        (["--seeds", "0"], "must be a positive integer"),
    ],
)
def test_bench_train_refuses_bad_settings_in_one_line(capsys, argv, message, tmp_path):
    out = tmp_path / "out"
    assert message in refused(capsys, script("bench_train").main, [*argv, "--out", str(out)])
    assert not out.exists()


def test_bench_rejax_tables_logged_cells_without_training_them_again(capsys, tmp_path):
    module, out = script("bench_rejax"), tmp_path / "comparison"
    argv = ["--agents", "ours-pqn", "--envs", "CartPoleEasy:MDP", "--budgets", "32768"]
    args = module.parse_args([*argv, "--out", str(out)])
    [(key, config, _)] = module.cells(args)
    older = {k: v for k, v in config.items() if k != "encoder_norm"}  # logged before it existed
    logged = {**key, "mean": 0.4, "per_seed": [0.3, 0.4, 0.5], "command": "an earlier run"}
    BenchLog(out.with_suffix(".jsonl"), module.log_settings(args)).append(logged, older)
    module.main([*argv, "--out", str(out)])
    assert capsys.readouterr().out == ""  # nothing measured
    table = out.with_suffix(".md").read_text()
    assert "| CartPoleEasy | MDP | 32,768 | +0.40 (+0.30, +0.40, +0.50) |" in table
    assert "`an earlier run`" in table


def test_bench_rejax_refuses_to_add_to_a_log_of_other_settings(tmp_path):
    module, out = script("bench_rejax"), tmp_path / "comparison"
    argv = ["--agents", "ours-pqn", "--budgets", "32768", "--out", str(out)]
    args = module.parse_args(argv)
    BenchLog(out.with_suffix(".jsonl"), {**module.log_settings(args), "seeds": 2}).append({}, {})
    with pytest.raises(SystemExit, match=r"bench_rejax.py: error: .*\(seeds: 2 -> 3\)"):
        module.main(argv)


def test_bench_train_averages_the_seeds_that_have_a_return(recwarn):
    seed_mean = script("bench_train").seed_mean
    nan = float("nan")
    mean = seed_mean(np.array([[1.0, nan, nan], [3.0, 2.0, nan]]))
    np.testing.assert_array_equal(mean, [2.0, 2.0, nan])
    assert not recwarn.list  # numpy warns about a mean over no values


@pytest.mark.slow
def test_bench_train_logs_each_run_and_a_rerun_skips_it(capsys, tmp_path):
    out, main = tmp_path / "out", script("bench_train").main
    argv = ["--runs", "pqn:none:CountRecallEasy:mdp", "--steps", "512", "--obs-size", "64"]
    argv += ["--eval-episodes", "2", "--out", str(out)]
    main(argv)
    printed = json.loads(capsys.readouterr().out)
    [logged] = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert (
        logged["eval_return"] == printed["eval_return"] and logged["config"]["total_steps"] == 512
    )
    assert logged["provenance"]["git_commit"] == printed["provenance"]["git_commit"] != ""
    curves = json.loads((out / "curves.json").read_text())["pqn:none:CountRecallEasy:mdp"]
    assert curves["return"] == [None]  # one update of 32 steps, in which no episode ended
    main(argv)  # everything is logged: nothing is trained again
    assert capsys.readouterr().out == ""
    with pytest.raises(SystemExit, match=r"other settings \(seeds: \[0\] -> \[0, 1\]\)"):
        main([*argv, "--seeds", "2"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--envs", "CartPoleEasy"], "expected GAME:MDP or GAME:POMDP, got 'CartPoleEasy'"),
        (["--envs", "CartPolEasy:MDP"], "did you mean"),
        (["--steps", "100"], "less than one update"),
        (["--seeds", "0"], "must be a positive integer"),
    ],
)
def test_tune_pqn_refuses_bad_settings_in_one_line(capsys, argv, message, tmp_path):
    out = tmp_path / "grid"
    assert message in refused(capsys, script("tune_pqn").main, [*argv, "--out", str(out)])
    assert not out.with_suffix(".jsonl").exists()


def test_tune_pqn_refuses_to_add_to_a_log_of_other_settings(tmp_path):
    out = tmp_path / "grid"
    BenchLog(out.with_suffix(".jsonl"), {"obs_size": 128, "eval_episodes": 32}).append({}, {})
    with pytest.raises(SystemExit, match=r"tune_pqn.py: error: .*\(obs_size: 128 -> 64\)"):
        script("tune_pqn").main(["--out", str(out)])
