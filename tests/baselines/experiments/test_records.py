"""Records and report tables carry the game version; older records read back as version 1 and
with the capacity of their settings."""

import csv
import dataclasses
import json

import pytest

from baselines.experiments import report
from baselines.experiments.records import CellRecord, RecordLog
from tests.baselines.experiments.record_utils import hand_made_record


def record(env_id="CartPoleEasy", variant="MDP", memory="lru", game_version=1) -> CellRecord:
    return hand_made_record(env_id, variant, memory, game_version=game_version)


def test_a_record_round_trips_with_its_game_version(tmp_path):
    written = record(game_version=3)
    log = RecordLog(tmp_path / "records.jsonl")
    log.append(written)
    (read,) = log.records()
    assert read == written and read.game_version == 3


def test_a_record_written_before_versions_reads_as_version_1():
    fields = dataclasses.asdict(record())
    del fields["game_version"]
    assert CellRecord.from_json(json.dumps(fields)).game_version == 1


def test_a_record_written_before_capacities_reads_it_from_its_settings():
    fields = dataclasses.asdict(record())
    del fields["capacity"]
    for agent, capacity in (
        ({"num_layers": 3, "hidden_size": 32}, (3, 32)),
        ({"hidden_size": 8}, (1, 8)),
    ):
        fields["settings"] = {"agent": agent}  # the second: stream_q, one layer
        assert CellRecord.from_json(json.dumps(fields)).capacity == capacity


def test_report_tables_carry_the_game_version(tmp_path):
    records = [record(variant=v, memory=m) for v in ("MDP", "POMDP") for m in ("lru", "none")]
    rows, versions = report.table(records), report.game_versions(records)
    assert versions == {"CartPoleEasy": 1}
    report.write_csv(rows, tmp_path / "table.csv", versions)
    with (tmp_path / "table.csv").open() as f:
        lines = list(csv.DictReader(f))
    assert [line["game_version"] for line in lines] == ["1", "1"]
    assert "Game versions: CartPoleEasy v1." in report.markdown(rows, versions=versions)


def test_report_refuses_records_of_one_game_in_two_versions():
    records = [record(variant="MDP"), record(variant="POMDP", game_version=2)]
    with pytest.raises(ValueError, match=r"mix game versions.*'CartPoleEasy': \[1, 2\]"):
        report.table(records)
