import pytest

from baselines.experiments.folder_lock import exclusive


def test_a_second_writer_is_refused_until_the_first_is_done(tmp_path):
    target = tmp_path / "records.jsonl"
    with exclusive(target, "the sweep's records"):
        with pytest.raises(ValueError, match=r"another process \(pid \d+\) is writing the sweep"):
            with exclusive(target, "the sweep's records"):
                pass
    with exclusive(target, "the sweep's records"):  # released: the next writer gets it
        pass


def test_other_files_do_not_share_a_lock(tmp_path):
    with exclusive(tmp_path / "records-shard-0-of-2.jsonl", "shard 0"):
        with exclusive(tmp_path / "records-shard-1-of-2.jsonl", "shard 1"):
            pass
