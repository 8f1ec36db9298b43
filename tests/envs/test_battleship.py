"""BattleShip rules from hand-built states and scripted shots; placement over many keys; the
expert plays from the shots alone; the cell under the cursor alone supports a memoryless policy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import DOWN, FIRE, RIGHT
from popgym_arcade_twins.envs import battleship
from popgym_arcade_twins.envs.battleship import Config, State
from popgym_arcade_twins.testing import expert_policy, first_episode_returns, random_policy, run

N = 8
CONFIG = Config(board_size=N)
PARAMS = battleship.make_params(CONFIG)
# Two ships on a hand-built board: (0, 0)-(0, 1) and (2..4, 5).
SHIP_CELLS = [(0, 0), (0, 1), (2, 5), (3, 5), (4, 5)]


def _state(cursor=(0, 0), shots=(), num_repeats=0, ship_cells=SHIP_CELLS) -> State:
    ships, shot = np.zeros((N, N), bool), np.zeros((N, N), bool)
    for cell in ship_cells:
        ships[cell] = True
    for cell in shots:
        shot[cell] = True
    return State(
        ships=jnp.asarray(ships),
        shots=jnp.asarray(shot),
        cursor=jnp.asarray(cursor, jnp.int32),
        num_repeats=jnp.int32(num_repeats),
        time=jnp.int32(0),
    )


def _play(state, actions):
    rewards, flags = [], []
    for action in actions:
        state, reward, terminated = battleship.step(None, state, action, CONFIG, PARAMS)
        rewards.append(float(reward))
        flags.append(bool(terminated))
    return state, rewards, flags


def test_params_follow_the_board_size():
    assert PARAMS.hit_reward == pytest.approx(1 / 12)
    assert PARAMS.repeat_penalty == pytest.approx(1 / (N * N / 2))
    assert (PARAMS.max_repeats, PARAMS.max_steps_in_episode) == (N * N // 2, 2 * N * N)


@pytest.mark.parametrize("n", [8, 12])
def test_placement_has_four_straight_ships_of_the_right_lengths_without_overlap(n):
    keys = jax.random.split(jax.random.key(n), 400)
    place = jax.jit(
        jax.vmap(lambda key: battleship.place_ships(jax.random.bits(key, (4,)), n, (2, 3, 3, 4)))
    )
    boards = np.asarray(place(keys))
    assert boards.shape == (400, n, n)
    for ships in boards:
        lengths = []
        for k in range(1, 5):
            rows, cols = np.nonzero(ships == k)
            straight = len(set(rows)) == 1 or len(set(cols)) == 1
            along = cols if len(set(rows)) == 1 else rows
            assert straight and np.array_equal(
                np.sort(along), np.arange(along.min(), along.max() + 1)
            )
            lengths.append(len(rows))
        assert sorted(lengths) == [2, 3, 3, 4]  # an overlap would shorten a ship
        assert np.count_nonzero(ships) == 12
    assert len({b.tobytes() for b in boards}) == len(boards)  # placements come from the key


def test_config_rejects_ships_that_may_not_fit():
    with pytest.raises(ValueError, match="may not fit"):
        Config(board_size=4)
    with pytest.raises(ValueError, match="ship_lengths"):
        Config(board_size=8, ship_lengths=(9,))


def test_a_new_hit_pays_a_miss_pays_nothing_and_a_repeat_is_penalized():
    state, rewards, flags = _play(_state(), [FIRE, FIRE, RIGHT, RIGHT, FIRE])
    assert rewards == pytest.approx([1 / 12, -1 / 32, 0, 0, 0])  # hit, repeat, moves, miss
    assert not any(flags)
    assert int(state.num_repeats) == 1
    assert np.array_equal(np.argwhere(np.asarray(state.shots)), [[0, 0], [0, 2]])


def test_sinking_the_last_ship_cell_terminates():
    state = _state(cursor=(4, 5), shots=SHIP_CELLS[:-1])
    _, rewards, flags = _play(state, [FIRE])
    assert rewards == pytest.approx([1 / 12]) and flags == [True]


def test_the_repeat_that_reaches_the_limit_terminates_so_the_return_stays_above_minus_one():
    state = _state(cursor=(7, 7), shots=[(7, 7)], num_repeats=PARAMS.max_repeats - 1)
    _, rewards, flags = _play(state, [FIRE])
    assert flags == [True] and rewards[0] < 0
    assert PARAMS.max_repeats * PARAMS.repeat_penalty == pytest.approx(1.0)


def test_cursor_moves_and_is_clamped():
    state, _, _ = _play(_state(cursor=(7, 6)), [RIGHT, RIGHT, DOWN])
    assert state.cursor.tolist() == [7, 7]


def test_ships_are_never_drawn_and_the_pomdp_shows_only_the_marker_under_the_cursor():
    mdp, pomdp, _ = pat.make_twins("BattleShipEasy", obs_size=64)
    shots = [(0, 0), (0, 3), (2, 5)]  # hit, miss, hit
    state = _state(cursor=(0, 3), shots=shots)
    other_ships = _state(cursor=(0, 3), shots=shots, ship_cells=[(0, 0), (2, 5), (6, 6)])
    only_cursor_shot = _state(cursor=(0, 3), shots=[(0, 3)])
    unshot = _state(cursor=(0, 3))
    board = mdp.renderer.view.grid.box.slices  # the HUD counts hits in both variants
    draw = {env: jax.jit(env.draw) for env in (mdp, pomdp)}
    frame = lambda env, s: np.asarray(draw[env](s))[board]
    for env in (mdp, pomdp):  # an unshot ship looks like water
        assert np.array_equal(frame(env, unshot), frame(env, _state(cursor=(0, 3), ship_cells=[])))
        assert np.array_equal(frame(env, state), frame(env, other_ships))
    assert np.array_equal(frame(pomdp, state), frame(pomdp, only_cursor_shot))
    assert not np.array_equal(frame(pomdp, state), frame(pomdp, unshot))
    assert not np.array_equal(frame(mdp, state), frame(mdp, only_cursor_shot))


def test_expert_never_shoots_twice_and_reads_only_the_shots():
    """Over whole first episodes of 32 envs: no repeat, no negative reward, and the same action
    when the ships under every unshot cell are swapped for another board's (the frame is then
    the same)."""
    env, params = pat.make("BattleShipEasy", obs_size=64)
    assert env.config == CONFIG
    record = lambda step: (step.state, step.action, step.final_state.num_repeats, step.reward)
    episodes = lambda key: run(
        env, params, expert_policy(env, params), key, 32, int(params.max_steps_in_episode),
        record=record,
    )  # fmt: skip
    _, (states, actions, num_repeats, rewards) = jax.jit(episodes)(jax.random.key(0))
    assert np.all(np.asarray(num_repeats) == 0) and np.all(np.asarray(rewards) >= 0)

    other = jax.vmap(lambda key: env.reset(key, params)[1].ships)(
        jax.random.split(jax.random.key(1), 32)
    )
    hidden_moved = states.replace(ships=jnp.where(states.shots, states.ships, other[None]))
    expert = jax.vmap(jax.vmap(lambda state: battleship.expert(state, CONFIG, params)))
    np.testing.assert_array_equal(jax.jit(expert)(hidden_moved), actions)
    assert not np.array_equal(hidden_moved.ships, states.ships)  # the swap hid other ships


def test_the_cell_under_the_cursor_alone_supports_a_memoryless_policy_far_above_random():
    """Firing when the cell under the cursor (the one marker the POMDP draws) is unshot and
    otherwise moving at random needs no memory and finds many ships: the first episodes of 64
    envs from key 0 average well above random play's return."""
    env, params = pat.make("BattleShipEasy", obs_size=64)

    def reactive(key, obs, state, carry, start):
        move = jax.random.randint(key, start.shape, 0, FIRE)  # one of the four arrows
        shot = jax.vmap(battleship.cursor_was_shot)(state)
        return carry, jnp.where(shot, move, FIRE).astype(jnp.int32)

    episodes = jax.jit(first_episode_returns, static_argnums=(0, 2, 4))
    mean_return = lambda act: float(np.mean(episodes(env, params, act, jax.random.key(0), 64)))
    assert mean_return(reactive) > 0.35 and mean_return(random_policy) < 0.0
