"""A benchmark log keeps every record at once, reuses one only under its own config, and refuses
to mix runs of other settings or to be written by two processes."""

import json

import pytest

from baselines.agents.config import PQNConfig
from baselines.experiments.bench_log import BenchLog, Refused, field_defaults, open_log

SETTINGS = {"seeds": 3, "obs_size": 64}
KEY = {"agent": "ours-pqn", "env_steps": 32768}


def test_a_record_is_on_disk_as_soon_as_it_is_appended_and_a_rerun_finds_it(tmp_path):
    path = tmp_path / "log.jsonl"
    log = BenchLog(path, SETTINGS)
    assert log.done(KEY, {"lam": 0.95}) is None
    log.append({**KEY, "mean": 0.5}, {"lam": 0.95, "sizes": (1, 2)})
    on_disk = json.loads(path.read_text())
    assert on_disk["settings"] == SETTINGS and on_disk["config"]["sizes"] == [1, 2]
    rerun = BenchLog(path, dict(SETTINGS))
    assert rerun.done(KEY, {"lam": 0.95, "sizes": (1, 2)})["mean"] == 0.5
    assert rerun.done({**KEY, "env_steps": 204800}, {"lam": 0.95, "sizes": (1, 2)}) is None


def test_a_rerun_with_other_settings_is_refused_naming_the_difference(tmp_path):
    path = tmp_path / "log.jsonl"
    BenchLog(path, SETTINGS).append(KEY, {})
    with pytest.raises(Refused, match=r"other settings \(seeds: 3 -> 5\)"):
        BenchLog(path, {**SETTINGS, "seeds": 5})


def test_a_logged_cell_measured_with_another_config_is_refused(tmp_path):
    path = tmp_path / "log.jsonl"
    BenchLog(path, SETTINGS).append(KEY, {"anneal_lr": False})
    with pytest.raises(Refused, match=r"another config \(anneal_lr: False -> True\)"):
        BenchLog(path, SETTINGS).done(KEY, {"anneal_lr": True})


def test_a_field_added_since_a_record_matches_only_at_its_default(tmp_path):
    path = tmp_path / "log.jsonl"
    BenchLog(path, SETTINGS).append(KEY, {"lam": 0.95})  # logged before encoder_norm existed
    defaults = field_defaults(PQNConfig)
    assert defaults["encoder_norm"] is False and defaults["lam"] == 0.95
    log = BenchLog(path, SETTINGS)
    assert log.done(KEY, {"lam": 0.95, "encoder_norm": False}, defaults) is not None
    with pytest.raises(Refused, match=r"another config \(encoder_norm: False -> True\)"):
        log.done(KEY, {"lam": 0.95, "encoder_norm": True}, defaults)
    with pytest.raises(Refused, match=r"another config \(encoder_norm: None -> False\)"):
        log.done(KEY, {"lam": 0.95, "encoder_norm": False})  # no defaults: nothing to fill


def test_a_log_from_before_settings_were_logged_is_refused(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({**KEY, "mean": 0.1}) + "\n")
    with pytest.raises(Refused, match="other settings"):
        BenchLog(path, SETTINGS)


def test_a_second_writer_is_refused_while_the_first_holds_the_log(tmp_path):
    path = tmp_path / "log.jsonl"
    refused = pytest.raises(Refused, match="another process")
    with open_log(path, SETTINGS), refused, open_log(path, SETTINGS):
        pass
