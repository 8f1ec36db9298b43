"""AutoEncode rules from hand-built states and scripted actions, and what each twin draws."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import DOWN, FIRE, LEFT, RIGHT, UP
from popgym_arcade_twins.envs import autoencode
from popgym_arcade_twins.gifs import episode_states

CONFIG = autoencode.Config(num_cards=6)
PARAMS = autoencode.make_params(CONFIG)
step = jax.jit(partial(autoencode.step, config=CONFIG, params=PARAMS))


def _state(cards=(0, 1, 2, 3, 1, 2), position=0, selector=0):
    return autoencode.State(
        cards=jnp.array(cards, jnp.int32),
        position=jnp.int32(position),
        selector=jnp.int32(selector),
        num_correct=jnp.int32(0),
        time=jnp.int32(0),
    )


def _play(state, actions):
    rewards, ends = [], []
    for action in actions:
        state, reward, terminated = step(jax.random.key(0), state, jnp.int32(action))
        rewards.append(float(reward))
        ends.append(bool(terminated))
    return state, rewards, ends


def _answer(cards, selector=0):
    """Actions that output `cards` in reverse: turn right to each suit, then confirm."""
    actions = []
    for suit in reversed(cards):
        actions += [RIGHT] * ((suit - selector) % 4) + [FIRE]
        selector = suit
    return actions


def test_reversing_the_watched_sequence_scores_one_and_ends_on_the_last_confirm():
    cards = (0, 1, 2, 3, 1, 2)
    state, rewards, ends = _play(_state(cards), [UP] * 6 + _answer(cards))
    assert sum(rewards) == pytest.approx(1.0)
    assert rewards.count(pytest.approx(1 / 6)) == 6
    assert ends == [False] * (len(ends) - 1) + [True]
    assert int(state.num_correct) == 6 and int(state.position) == 12


def test_watch_phase_ignores_fire_and_deals_one_card_per_step():
    state, rewards, ends = _play(_state(), [FIRE, FIRE, DOWN])
    assert int(state.position) == 3 and rewards == [0.0] * 3 and not any(ends)


def test_selector_cycles_both_ways_and_wraps():
    state, _, _ = _play(_state(), [LEFT])
    assert int(state.selector) == 3
    state, _, _ = _play(state, [RIGHT, RIGHT])
    assert int(state.selector) == 1


def test_wrong_suit_pays_nothing_but_moves_to_the_next_card():
    cards = (0, 1, 2, 3, 1, 2)  # output order: 2, 1, 3, 2, 1, 0
    state = _state(cards, position=6, selector=0)
    state, rewards, _ = _play(state, [FIRE])  # 0 is wrong for the first output (2)
    assert rewards == [0.0] and int(state.position) == 7 and int(state.num_correct) == 0
    state, rewards, _ = _play(state, [RIGHT, FIRE])  # 1 is right for the second output
    assert rewards == [0.0, pytest.approx(1 / 6)] and int(state.num_correct) == 1


def test_only_fire_outputs_in_the_play_phase():
    state, rewards, _ = _play(_state(position=6), [UP, DOWN, LEFT, RIGHT])
    assert int(state.position) == 6 and rewards == [0.0] * 4


def test_presets_scale_cards_reward_and_time_limit():
    for difficulty, cards in (("Easy", 26), ("Medium", 52), ("Hard", 78)):
        env, params = pat.make(f"AutoEncode{difficulty}")
        assert env.config.num_cards == cards and env.num_actions == 5
        assert params.correct_reward == pytest.approx(1 / cards)
        assert params.max_steps_in_episode == 10 * cards


def test_expert_reaches_the_maximum_return():
    env, _ = pat.make("AutoEncodeEasy", obs_size=64)
    states, episode_return = episode_states(env, jax.random.key(3), "expert", 200)
    assert episode_return == pytest.approx(1.0)
    assert int(states.position[-1]) == 2 * 26 and len(states.time) <= 4 * 26 + 1


def _frames(states):
    mdp, pomdp, _ = pat.make_twins("AutoEncodeEasy", obs_size=64, num_cards=6)
    draw = jax.jit(lambda s: (mdp.draw(s), pomdp.draw(s)))
    return [tuple(np.asarray(f) for f in draw(s)) for s in states]


def test_mdp_shows_the_sequence_and_output_position_pomdp_hides_them():
    (mdp_a, pomdp_a), (mdp_b, pomdp_b), (mdp_c, pomdp_c) = _frames(
        [
            _state((0, 1, 2, 3, 1, 2), position=7),
            _state((3, 1, 2, 0, 1, 0), position=7),  # other cards, same play position
            _state((0, 1, 2, 3, 1, 2), position=8),  # one more card output
        ]
    )
    assert np.array_equal(pomdp_a, pomdp_b) and np.array_equal(pomdp_a, pomdp_c)
    assert not np.array_equal(mdp_a, mdp_b) and not np.array_equal(mdp_a, mdp_c)


def test_pomdp_shows_the_current_card_and_the_selector():
    (_, pomdp_a), (_, pomdp_b), (_, pomdp_c) = _frames(
        [_state((0, 1, 2, 3, 1, 2)), _state((1, 1, 2, 3, 1, 2)), _state(selector=2)]
    )
    assert not np.array_equal(pomdp_a, pomdp_b) and not np.array_equal(pomdp_a, pomdp_c)
