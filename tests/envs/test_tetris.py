"""Tetris rules from hand-built boards and scripted actions, and what each twin draws."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import DOWN, FIRE, LEFT, RIGHT, UP
from popgym_arcade_twins.envs import tetris
from popgym_arcade_twins.envs.tetris import COLS, ROWS

I, O, T, S, Z, J, L = range(7)  # noqa: E741 (the pieces are named by these letters)
CONFIG = tetris.Config()
PARAMS = tetris.make_params(CONFIG)
step = jax.jit(partial(tetris.step, config=CONFIG, params=PARAMS))


def _state(board=None, piece=T, rotation=0, position=(5, 3), lines=0):
    state = tetris.reset(jax.random.key(0), CONFIG, PARAMS)
    board = np.zeros((ROWS, COLS), np.int32) if board is None else board
    return state.replace(
        board=jnp.asarray(board, jnp.int32),
        piece=jnp.int32(piece),
        rotation=jnp.int32(rotation),
        position=jnp.array(position, jnp.int32),
        lines=jnp.int32(lines),
    )


def _cells(state):
    cells = tetris.piece_cells(state.piece, state.rotation, state.position)
    return sorted(map(tuple, np.asarray(cells).tolist()))


def _step(state, action, key=0):
    state, reward, terminated = step(jax.random.key(key), state, jnp.int32(action))
    return state, float(reward), bool(terminated)


def _rotate_clockwise(cells):
    turned = np.stack([cells[:, 1], -cells[:, 0]], 1)
    return turned - turned.min(0)


def test_rotation_tables_turn_each_shape_clockwise():
    for piece in tetris.CELLS:
        for rotation in range(4):
            here, after = piece[rotation], piece[(rotation + 1) % 4]
            shape = {tuple(c) for c in _rotate_clockwise(here)}
            assert shape == {tuple(c) for c in after - after.min(0)}
            assert len({tuple(c) for c in here}) == 4


def test_seven_bag_deals_each_piece_once_per_seven():
    state = tetris.reset(jax.random.key(1), CONFIG, PARAMS)
    pop = jax.jit(tetris._pop)
    dealt = [int(state.piece)]
    queue, size = state.queue, state.queue_size
    for k in range(69):
        dealt.append(int(queue[0]))
        queue, size = pop(queue, size, jax.random.key(k))
        assert 7 <= int(size) <= 13
    bags = np.array(dealt).reshape(10, 7)
    assert all(sorted(bag) == list(range(7)) for bag in bags)
    assert len({tuple(bag) for bag in bags}) > 1  # the order is shuffled


def test_piece_falls_one_cell_per_step_and_soft_drop_adds_one():
    state, _, _ = _step(_state(position=(0, 3)), FIRE)
    assert np.array_equal(state.position, [1, 3])
    state, _, _ = _step(state, DOWN)
    assert np.array_equal(state.position, [3, 3])
    hard = tetris.Config(fall_speed=2)
    hard_step = jax.jit(partial(tetris.step, config=hard, params=PARAMS))
    state, _, _ = hard_step(jax.random.key(0), _state(position=(0, 3)), FIRE)
    assert np.array_equal(state.position, [2, 3])


def test_moves_and_rotations_are_blocked_by_walls_and_stack():
    at_left_wall = _state(piece=I, rotation=1, position=(5, -2))  # vertical I in column 0
    state, _, _ = _step(at_left_wall, LEFT)
    assert _cells(state) == [(r + 1, 0) for r in range(5, 9)]  # fell, did not move
    state, _, _ = _step(at_left_wall, UP)  # horizontal would reach columns -2..1
    assert int(state.rotation) == 1
    board = np.zeros((ROWS, COLS), np.int32)
    board[6, 6] = 1 + O  # right of the T's flat side
    state, _, _ = _step(_state(board, piece=T, position=(5, 3)), RIGHT)
    assert np.array_equal(state.position, [6, 3])
    board = np.zeros((ROWS, COLS), np.int32)
    board[5, 5] = 1 + O  # where the J's clockwise turn puts its hook
    state, _, _ = _step(_state(board, piece=J, position=(5, 3)), UP)
    assert int(state.rotation) == 0
    state, _, _ = _step(_state(piece=J, position=(5, 3)), UP)
    assert int(state.rotation) == 1


def test_resting_piece_locks_where_it_was_drawn_and_the_next_spawns():
    state = _state(piece=O, position=(18, 3))  # O cells: rows 18-19, columns 4-5
    next_piece = int(state.queue[0])
    state, reward, terminated = _step(state, LEFT)
    assert reward == 0.0 and not terminated
    assert np.array_equal(
        np.argwhere(np.asarray(state.board)), [[18, 4], [18, 5], [19, 4], [19, 5]]
    )
    assert int(state.piece) == next_piece and int(state.rotation) == 0
    assert np.array_equal(state.position, tetris.SPAWN[next_piece])


def test_full_row_clears_pays_a_tenth_and_drops_the_stack():
    board = np.zeros((ROWS, COLS), np.int32)
    board[19] = 1 + J
    board[19, 3:7] = 0  # the I fills the gap
    board[18, 0] = 1 + L  # dropped into row 19 by the clear
    state, reward, terminated = _step(_state(board, piece=I, position=(18, 3)), FIRE)
    assert reward == pytest.approx(0.1) and not terminated and int(state.lines) == 1
    expected = np.zeros((ROWS, COLS), np.int32)
    expected[19, 0] = 1 + L
    assert np.array_equal(state.board, expected)
    assert np.flatnonzero(state.cleared).tolist() == [19]  # the full-line marker
    state, _, _ = _step(state, FIRE)
    assert not bool(state.cleared.any())  # shown for one frame


def test_compaction_keeps_the_order_of_the_rows_left():
    board = np.zeros((ROWS, COLS), np.int32)
    board[[12, 15, 17, 19]] = 1  # full rows
    for row in (13, 14, 16, 18):
        board[row, row % COLS] = row  # a marked partial row
    cleared, is_full = jax.jit(tetris.clear_lines)(jnp.asarray(board))
    assert np.flatnonzero(is_full).tolist() == [12, 15, 17, 19]
    for row, new_row in ((13, 16), (14, 17), (16, 18), (18, 19)):
        assert cleared[new_row, row % COLS] == row and int(np.count_nonzero(cleared[new_row])) == 1
    assert not np.asarray(cleared[:16]).any()


def _holey_stack(top):
    """Rows `top`..19 filled but for one hole each, so no row is full."""
    board = np.zeros((ROWS, COLS), np.int32)
    board[top:] = 1 + Z
    board[np.arange(top, ROWS), np.arange(top, ROWS) % COLS] = 0
    return board


def test_topping_out_terminates_with_total_minus_one():
    for lines in (0, 3):
        state = _state(_holey_stack(2), piece=O, position=(0, 3), lines=lines)  # resting on it
        state, reward, terminated = _step(state, FIRE)  # locks; no piece can spawn over it
        assert terminated and 0.1 * lines + reward == pytest.approx(-1.0)


def test_clear_that_tops_out_still_totals_minus_one():
    board = _holey_stack(1)
    board[0, 3:7] = 1 + S  # dropped into row 1 by the clear, under the spawning O
    board[19] = 1 + J
    board[19, 3:7] = 0
    state = _state(board, piece=I, position=(18, 3), lines=2)
    state = state.replace(queue=state.queue.at[0].set(O))
    state, reward, terminated = _step(state, FIRE)
    assert int(state.lines) == 3 and terminated
    assert 0.2 + reward == pytest.approx(-1.0)


def test_tenth_line_wins_and_extra_lines_pay_nothing():
    board = np.zeros((ROWS, COLS), np.int32)
    board[16:20, :9] = 1 + Z
    state = _state(board, piece=I, rotation=1, position=(16, 7), lines=8)  # clears four
    state, reward, terminated = _step(state, FIRE)
    assert terminated and int(state.lines) == 10 and reward == pytest.approx(0.2)


def test_presets():
    for difficulty, preview, speed in (("Easy", 3, 1), ("Medium", 2, 1), ("Hard", 1, 2)):
        env, params = pat.make(f"Tetris{difficulty}")
        assert (env.config.num_preview, env.config.fall_speed) == (preview, speed)
        assert params.max_steps_in_episode == 3000 and params.line_reward == pytest.approx(0.1)


def test_pomdp_hides_the_stack_and_both_show_markers_and_preview():
    mdp, pomdp, _ = pat.make_twins("TetrisEasy", obs_size=64)
    draw = jax.jit(lambda s: (mdp.draw(s), pomdp.draw(s)))
    board = np.zeros((ROWS, COLS), np.int32)
    board[19, :5] = 1 + T
    empty = _state()
    frames = {
        "empty": draw(empty),
        "stack": draw(empty.replace(board=jnp.asarray(board))),
        "marker": draw(empty.replace(cleared=jnp.arange(ROWS) == 19)),
        "preview": draw(empty.replace(queue=jnp.roll(empty.queue, 1))),
    }
    same = lambda a, b, i: np.array_equal(frames[a][i], frames[b][i])
    assert not same("empty", "stack", 0) and same("empty", "stack", 1)
    for i in (0, 1):
        assert not same("empty", "marker", i) and not same("empty", "preview", i)
