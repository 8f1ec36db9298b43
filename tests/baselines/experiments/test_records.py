"""Records and report tables carry the game version, the capacity, the switch and the reference
returns; older records read back as version 1, with the capacity of their settings, unswitched,
without references; switched cells never share a row with unswitched ones."""

import csv
import dataclasses
import json

import pytest

from baselines.experiments import report
from baselines.experiments.records import CellRecord, RecordLog, References, references
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


def test_a_record_round_trips_with_its_switch_and_references(tmp_path):
    written = hand_made_record(switch_at=64, random_return=-0.5, expert_return=None)
    log = RecordLog(tmp_path / "records.jsonl")
    log.append(written)
    assert log.records() == [written]


def test_a_record_written_before_switches_and_references_reads_as_unswitched_without_them():
    fields = dataclasses.asdict(record())
    for name in ("switch_at", "random_return", "expert_return"):
        del fields[name]
    read = CellRecord.from_json(json.dumps(fields))
    assert (read.switch_at, read.random_return, read.expert_return) == (0, None, None)
    assert references([read]) == {}


def grid(switch_at=0, returns=(0.5, 0.25), **changes):
    """Records of lru on both twins and none on the MDP, all switched at `switch_at`."""
    cells = [("MDP", "lru"), ("POMDP", "lru"), ("MDP", "none")]
    return [
        hand_made_record(
            variant=variant, memory=memory, switch_at=switch_at, eval_return=returns, **changes
        )
        for variant, memory in cells
    ]


def test_switched_cells_have_rows_of_their_own_and_never_mix_with_unswitched_ones():
    rows = report.table(grid() + grid(switch_at=64, returns=(1.0, 1.0)))
    by_name = {row.memory: row for row in rows}
    assert list(by_name) == ["lru", "none", "lru/switch-at-64", "none/switch-at-64"]
    assert by_name["lru"].mdp.value == 0.375 and by_name["lru/switch-at-64"].mdp.value == 1.0
    assert by_name["lru/switch-at-64"].bias.value == 0.0  # against the switched baseline
    assert by_name["lru/switch-at-64"].seeds == (2, 2)
    text = report.aggregate_markdown(grid() + grid(switch_at=64))
    assert "| lru/switch-at-64 | iqm |" in text and "| lru | iqm |" in text


def test_the_table_shows_the_reference_returns_of_each_game_and_variant(tmp_path):
    records = grid(random_return=-0.5, expert_return=1.0)
    records[1] = dataclasses.replace(records[1], random_return=-0.25)  # the POMDP's
    rows, found = report.table(records), references(records)
    assert found == {
        ("CartPoleEasy", "MDP"): References(-0.5, 1.0),
        ("CartPoleEasy", "POMDP"): References(-0.25, 1.0),
    }
    text = report.markdown(rows, found=found)
    assert "| random (MDP / POMDP) | expert (MDP / POMDP) | seeds |" in text
    assert "| -0.50 / -0.25 | +1.00 / +1.00 | 2 |" in text
    report.write_csv(rows, tmp_path / "table.csv", found=found)
    with (tmp_path / "table.csv").open() as f:
        line = next(csv.DictReader(f))
    assert (line["random_mdp"], line["random_pomdp"], line["expert_pomdp"]) == (
        "-0.5",
        "-0.25",
        "1.0",
    )
    # Without references (records from before them): empty columns.
    assert "| +0.00 [-0.25, +0.25] |  |  | 2 |" in report.markdown(report.table(grid()))
