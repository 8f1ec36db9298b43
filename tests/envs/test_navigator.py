"""Navigator rules from hand-built states and scripted moves; reset over many keys; expert."""

from collections import deque

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import DOWN, FIRE, LEFT, RIGHT, UP
from popgym_arcade_twins.envs import navigator
from popgym_arcade_twins.envs.navigator import Config, State
from popgym_arcade_twins.testing import expert_policy, run

N = 8
CONFIG = Config(board_size=N)
PARAMS = navigator.make_params(CONFIG)
STEP = 0.5 / N**2


def _state(agent=(2, 2), treasure=(5, 5), tnt_cells=((2, 3), (0, 0)), time=0) -> State:
    tnt = np.zeros((N, N), bool)
    for cell in tnt_cells:
        tnt[cell] = True
    return State(
        tnt=jnp.asarray(tnt),
        treasure=jnp.asarray(treasure, jnp.int32),
        agent=jnp.asarray(agent, jnp.int32),
        time=jnp.int32(time),
    )


def _play(state, actions):
    rewards, flags = [], []
    for action in actions:
        state, reward, terminated = navigator.step(None, state, action, CONFIG, PARAMS)
        rewards.append(float(reward))
        flags.append(bool(terminated))
    return state, rewards, flags


def _bfs(free: np.ndarray, source) -> np.ndarray:
    """Steps from `source` to every free cell (-1 where unreachable), by a plain queue."""
    n = free.shape[0]
    dist = np.full((n, n), -1)
    dist[source] = 0
    queue = deque([source])
    while queue:
        r, c = queue.popleft()
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= nr < n and 0 <= nc < n and free[nr, nc] and dist[nr, nc] < 0:
                dist[nr, nc] = dist[r, c] + 1
                queue.append((nr, nc))
    return dist


def test_params_follow_the_board_size():
    assert PARAMS.step_penalty == pytest.approx(0.5 / 64)
    assert (PARAMS.tnt_penalty, PARAMS.treasure_reward) == (0.5, 1.0)
    assert PARAMS.max_steps_in_episode == N * N


def test_stepping_onto_tnt_costs_half_and_terminates():
    state, rewards, flags = _play(_state(), [RIGHT])
    assert rewards == pytest.approx([-0.5]) and flags == [True]
    assert state.agent.tolist() == [2, 3]


def test_digging_the_treasure_pays_one_and_digging_elsewhere_only_costs_a_step():
    _, rewards, flags = _play(_state(agent=(5, 4)), [FIRE, RIGHT, FIRE])
    assert rewards == pytest.approx([-STEP, -STEP, 1.0])
    assert flags == [False, False, True]


def test_moves_cost_a_step_and_are_clamped_to_the_grid():
    state, rewards, flags = _play(_state(agent=(0, 7)), [UP, RIGHT, LEFT, DOWN])
    assert state.agent.tolist() == [1, 6]
    assert rewards == pytest.approx([-STEP] * 4) and not any(flags)


def test_worst_return_is_tnt_on_the_last_step_and_stays_above_minus_one():
    env, params = pat.make("NavigatorEasy", obs_size=64)
    step = jax.jit(env.step)
    state, total = _state(), 0.0
    for t in range(N * N):
        action = RIGHT if t == N * N - 1 else FIRE  # dig in vain, then step onto the TNT
        _, state, reward, terminated, truncated, _ = step(jax.random.key(t), state, action, params)
        total += float(reward)
    assert bool(terminated) and not bool(truncated)
    assert total == pytest.approx(-1 + 0.5 / N**2) and total >= -1


@pytest.mark.parametrize("n", [8, 12])
def test_reset_keeps_start_and_treasure_off_tnt_apart_and_connected(n):
    config = Config(board_size=n)
    keys = jax.random.split(jax.random.key(n), 300)
    states = jax.jit(jax.vmap(lambda key: navigator.reset(key, config, None)))(keys)
    tnt, treasure, agent = (np.asarray(x) for x in (states.tnt, states.treasure, states.agent))
    for board, goal, start in zip(tnt, treasure, agent, strict=True):
        assert board.sum() == 7
        assert not board[tuple(goal)] and not board[tuple(start)]
        assert tuple(goal) != tuple(start)
        assert _bfs(~board, tuple(start))[tuple(goal)] > 0
    # positions come from the key: many distinct treasures and starts, TNT everywhere
    assert len({tuple(g) for g in treasure}) > n * n // 2
    assert len({tuple(s) for s in agent}) > n * n // 2
    assert tnt.any(axis=0).all()


def test_reachable_matches_breadth_first_search_on_cluttered_boards():
    keys = jax.random.split(jax.random.key(0), 200)
    free = np.array(jax.vmap(lambda key: jax.random.bits(key, (N, N)) % 5 > 1)(keys))
    free[:, 4, 4] = True
    seed = jnp.array([4, 4], jnp.int32)
    reached = np.asarray(jax.jit(jax.vmap(navigator.reachable, (0, None)))(free, seed))
    sizes = []
    for cells, region in zip(free, reached, strict=True):
        assert np.array_equal(region, _bfs(cells, (4, 4)) >= 0)
        sizes.append(region.sum())
    assert min(sizes) < 5 < max(sizes) < free.sum(axis=(1, 2)).max()  # walled-in regions too


def test_expert_walks_a_shortest_safe_path_to_the_maximum_return():
    env, params = pat.make("NavigatorEasy", obs_size=64)
    assert env.config == CONFIG
    record = lambda step: (step.state, step.episode_return, step.terminated)
    episodes = lambda key: run(
        env,
        params,
        expert_policy(env, params),
        key,
        64,
        int(params.max_steps_in_episode),
        record=record,
    )
    _, (states, returns, terminated) = jax.jit(episodes)(jax.random.key(1))
    terminated = np.asarray(terminated)
    assert terminated.any(axis=0).all()
    returns = np.asarray(returns)[np.argmax(terminated, axis=0), np.arange(64)]  # first episodes
    for i in range(64):
        tnt, treasure, agent = (
            np.asarray(x[0, i]) for x in (states.tnt, states.treasure, states.agent)
        )
        shortest = _bfs(~tnt, tuple(agent))[tuple(treasure)]
        assert float(returns[i]) == pytest.approx(1 - 0.5 * shortest / N**2, abs=1e-5)


def test_the_pomdp_shows_the_map_at_t0_then_only_the_agent():
    mdp, pomdp, _ = pat.make_twins("NavigatorEasy", obs_size=64)
    draw = {env: jax.jit(env.draw) for env in (mdp, pomdp)}
    frame = lambda env, state: np.asarray(draw[env](state))
    first, later = _state(time=0), _state(time=3)
    other_map = _state(treasure=(1, 6), tnt_cells=((7, 7),), time=3)
    assert np.array_equal(frame(pomdp, first), frame(mdp, first))
    assert np.array_equal(frame(pomdp, later), frame(pomdp, other_map))
    assert not np.array_equal(frame(mdp, later), frame(mdp, other_map))
    moved = _state(agent=(3, 2), time=3)
    assert not np.array_equal(frame(pomdp, later), frame(pomdp, moved))
