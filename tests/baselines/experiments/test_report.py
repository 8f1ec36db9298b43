"""The report: cells of different groups (capacities, switches) never share a row, the Pareto
frontier of gap and bias, and every figure written from hand-made records (no training)."""

import math

import pytest

from baselines.experiments import report
from baselines.experiments.records import Group, cell_suffix, references
from tests.baselines.experiments.record_utils import hand_made_record, write_saliency

FIGURES = (
    "returns.png", "gap_bias.png", "aggregate.png", "ood.png", "recall_density.png",
    "saliency.png", "training.png",
)  # fmt: skip


def test_the_pareto_frontier_keeps_the_points_no_other_beats_on_gap_and_bias():
    gaps = [0.1, -0.05, 0.2, 0.3, 0.1, math.nan, 0.1, -0.35]
    biases = [0.0, -0.1, -0.05, 0.2, 0.0, 0.5, -0.2, 0.2]
    # 0 and 4 are equal (both kept); 1 has the smallest |gap|, 3 the largest bias; 2 and 6 are
    # beaten by 0; 7's |gap| 0.35 is beaten by 3's 0.3 at the same bias; 5 has no gap.
    expected = [True, True, False, True, True, False, False, False]
    assert report.pareto_frontier(gaps, biases) == expected
    assert report.pareto_frontier([], []) == []


def cells(capacity, mdp: float, pomdp: float, none: float, env_id="CartPoleEasy", switch_at=0):
    """The lru and none records of one game at `capacity` (switched at `switch_at`), J the given
    one on every seed."""
    name = f"{env_id}/%s/%s" + cell_suffix(capacity, switch_at)
    kept = [("MDP", "lru", mdp), ("POMDP", "lru", pomdp), ("MDP", "none", none)]
    return [
        hand_made_record(
            env_id, variant, memory, capacity=capacity, cell=name % (variant, memory),
            eval_return=(value, value),
            saliency_file="cells/" + (name % (variant, memory)).replace("/", "-") + ".npz",
            value_smearing=(0.1, 0.2), ood_noise=((0.1, 0.2), (0.3, 0.0)),
            ood_shuffle=((0.0, 0.1), (0.2, 0.1)), switch_at=switch_at,
            random_return=-0.5 if variant == "MDP" else -0.25, expert_return=1.0,
        )
        for variant, memory, value in kept
    ]  # fmt: skip


def test_cells_of_two_capacities_never_share_a_row():
    records = cells((1, 32), 0.8, 0.4, 0.9) + cells((2, 64), 0.6, 0.5, 0.3)
    rows = {row.memory: row for row in report.table(records)}
    assert list(rows) == ["lru/1x32", "none/1x32", "lru/2x64", "none/2x64"]
    assert rows["lru/1x32"].gap.value == pytest.approx(0.4)
    assert rows["lru/1x32"].bias.value == pytest.approx(-0.1)  # against none at 1x32
    assert rows["lru/2x64"].bias.value == pytest.approx(0.3)  # against none at 2x64
    summary = {(a.memory, a.statistic): a for a in report.aggregates(records)}
    assert summary[("lru/2x64", "iqm")].gap.value == pytest.approx(0.1)
    assert [row.memory for row in report.table(cells((1, 32), 0.8, 0.4, 0.9))] == ["lru", "none"]


def test_a_group_is_a_capacity_and_a_switch_and_rows_name_it_as_cells_are_named():
    records = (
        cells((1, 32), 0.8, 0.4, 0.9) + cells((2, 64), 0.6, 0.5, 0.3)
        + cells((1, 32), 0.7, 0.7, 0.2, switch_at=64) + cells((2, 64), 0.5, 0.1, 0.5, switch_at=64)
    )  # fmt: skip
    assert [r.group for r in records[::3]] == [
        Group((1, 32), 0),
        Group((2, 64), 0),
        Group((1, 32), 64),
        Group((2, 64), 64),
    ]
    rows = {row.memory: row for row in report.table(records)}
    assert list(rows)[4:] == [
        "lru/1x32/switch-at-64", "none/1x32/switch-at-64",
        "lru/2x64/switch-at-64", "none/2x64/switch-at-64",
    ]  # fmt: skip
    assert all(r.cell.split("/", 2)[2] == name for r, name in
               zip(records, report.memory_names(records), strict=True))  # fmt: skip
    assert rows["lru/1x32"].bias.value == pytest.approx(-0.1)
    assert rows["lru/1x32/switch-at-64"].bias.value == pytest.approx(0.5)  # against its none
    assert rows["lru/2x64/switch-at-64"].gap.value == pytest.approx(0.4)
    summary = {(a.memory, a.statistic): a for a in report.aggregates(records)}
    assert summary[("lru/2x64/switch-at-64", "mean")].bias.value == pytest.approx(0.0)
    # One capacity: only the switch is named.
    one = cells((1, 32), 0.8, 0.4, 0.9) + cells((1, 32), 0.7, 0.7, 0.2, switch_at=64)
    names = [row.memory for row in report.table(one)]
    assert names == ["lru", "none", "lru/switch-at-64", "none/switch-at-64"]


def test_every_figure_writes_from_hand_made_records_and_capacity_png_with_several(tmp_path):
    pytest.importorskip("matplotlib")
    one = cells((2, 64), 0.8, 0.4, 0.9)
    several = one + cells((1, 32), 0.6, 0.5, 0.3) + cells((1, 32), 0.7, 0.6, 0.5, "NavigatorEasy")
    switched = several + cells((2, 64), 0.5, 0.2, 0.4, switch_at=64)
    for folder, records in (("one", one), ("switched", switched)):
        out = tmp_path / folder
        out.mkdir()
        write_saliency(out, records)
        report.write_report(records, out)
        for name in FIGURES:
            assert (out / name).stat().st_size > 0, name
    assert not (tmp_path / "one" / "capacity.png").exists()
    assert (tmp_path / "switched" / "capacity.png").stat().st_size > 0
    text = (tmp_path / "switched" / "table.md").read_text()
    assert "| CartPoleEasy | lru/1x32 |" in text
    assert "| -0.50 / -0.25 | +1.00 / +1.00 | 2 |" in text  # the reference columns
    assert "| CartPoleEasy | lru/2x64/switch-at-64 |" in text
    assert "Memory f 'lru/2x64': lru with 2 layers of 64 units; 'lru/switch-at-S'" in text


def test_returns_png_draws_each_variant_s_reference_returns_in_the_colour_of_its_bars():
    pytest.importorskip("matplotlib")
    from matplotlib.colors import same_color
    from matplotlib.container import BarContainer

    from baselines.experiments import plots

    records = cells((2, 64), 0.8, 0.4, 0.9)
    figure = plots._per_game(
        report.group_tables(records), ["CartPoleEasy"], {"MDP": "mdp", "POMDP": "pomdp"}, "J",
        references(records),
    )  # fmt: skip
    ax = figure.axes[0]
    lines = {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}
    bars = {c.get_label(): c.patches[0] for c in ax.containers if isinstance(c, BarContainer)}
    assert list(bars) == ["MDP", "POMDP"]
    expected = {"random (MDP)": -0.5, "expert (MDP)": 1.0, "random (POMDP)": -0.25,
                "expert (POMDP)": 1.0}  # fmt: skip
    assert {name: line.get_ydata()[0] for name, line in lines.items()} == expected
    for name, line in lines.items():
        variant = name.split("(")[1].rstrip(")")
        assert same_color(line.get_color(), bars[variant].get_facecolor()), name
    plots.plt.close(figure)
