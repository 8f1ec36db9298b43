"""CountRecall: count a multiset.

Rules: a deck of `num_cards` cards of `num_types` suits is shuffled twice, once into a dealt
sequence and once into a query sequence. At each position the current dealt card (top left) and
query card (top right) are shown; the agent sets a counter with up/down (clamped to
[0, num_cards]) and confirms with fire: the answer is right when the counter equals the number of
dealt cards, up to and including the current one, whose suit is the query's suit. Either way both
sequences advance; the counter keeps its value.

MDP: also shows the grid of every card dealt so far, so the count can be read off the frame.
POMDP hides that grid: only the current dealt and query cards, the counter and the score are shown,
so the agent must keep a count per suit in memory.

Actions: up +1 counter, down -1 counter, fire confirm; left/right no-op.
Reward: +1/num_cards per correct answer (return in [0, 1]).
Termination: after the answer for the last card. Truncation: num_cards + 100 steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
from flax import struct

from popgym_arcade_twins.core import DOWN, FIRE, UP, Game, Params
from popgym_arcade_twins.render import Layout, canvas, font, tiles
from popgym_arcade_twins.render.card_grid import CardGrid
from popgym_arcade_twins.render.hud import Hud
from popgym_arcade_twins.render.sprites import SUITS


@dataclass(frozen=True)
class Config:
    num_cards: int = 26
    num_types: int = 2

    def __post_init__(self):
        if not 1 <= self.num_types <= len(SUITS):
            raise ValueError(f"num_types must be in 1..{len(SUITS)}, got {self.num_types}")
        if self.num_cards < 1:
            raise ValueError(f"num_cards must be positive, got {self.num_cards}")


@struct.dataclass
class CountRecallParams(Params):
    correct_reward: float = 1 / 26


@struct.dataclass
class State:
    dealt: jax.Array  # int32[num_cards]: suit of each dealt card, in dealing order
    queries: jax.Array  # int32[num_cards]: suit of each query card
    position: jax.Array  # int32: index of the current pair; num_cards once all are answered
    counter: jax.Array  # int32 in [0, num_cards]
    num_correct: jax.Array  # int32: answers right so far (the score)
    time: jax.Array  # int32


PRESETS = {
    "Easy": {"num_cards": 26, "num_types": 2},
    "Medium": {"num_cards": 52, "num_types": 2},
    "Hard": {"num_cards": 78, "num_types": 4},
}


def make_params(config: Config) -> CountRecallParams:
    return CountRecallParams(
        max_steps_in_episode=config.num_cards + 100, correct_reward=1 / config.num_cards
    )


def reset(key: jax.Array, config: Config, params: CountRecallParams) -> State:
    key_dealt, key_queries = jax.random.split(key)
    deck = jnp.arange(config.num_cards, dtype=jnp.int32) % config.num_types
    zero = jnp.zeros((), jnp.int32)
    return State(
        dealt=jax.random.permutation(key_dealt, deck),
        queries=jax.random.permutation(key_queries, deck),
        position=zero,
        counter=zero,
        num_correct=zero,
        time=zero,
    )


def true_count(state: State) -> jax.Array:
    """Dealt cards so far (current included) of the current query's suit."""
    position = jnp.minimum(state.position, state.dealt.shape[0] - 1)
    dealt_so_far = jnp.arange(state.dealt.shape[0]) <= position
    return jnp.sum(dealt_so_far & (state.dealt == state.queries[position]), dtype=jnp.int32)


def step(key, state: State, action, config: Config, params: CountRecallParams):
    counter = jnp.clip(state.counter + (action == UP) - (action == DOWN), 0, config.num_cards)
    confirm = action == FIRE
    correct = confirm & (state.counter == true_count(state))
    position = state.position + confirm
    state = state.replace(
        counter=counter.astype(jnp.int32),
        position=position,
        num_correct=state.num_correct + correct,
    )
    return state, correct * params.correct_reward, position >= config.num_cards


EXPERT_RETURN = {"Easy": 0.99, "Medium": 0.95, "Hard": 0.8}
"""The least mean return `expert` reaches per difficulty (measured 1.0 / 0.98 / 0.857)."""


def expert(state: State, config: Config, params: CountRecallParams) -> jax.Array:
    """Move the counter to the true count, then confirm."""
    error = state.counter - true_count(state)
    return jnp.where(error < 0, UP, jnp.where(error > 0, DOWN, FIRE))


class Renderer:
    """Top: dealt card, counter, query card. Middle (MDP only): every card dealt so far."""

    def __init__(self, config: Config, layout: Layout):
        self.card_box = layout.box(2, 2, 17, 13)
        self.query_box = layout.box(2, 49, 17, 13)
        self.cards = tiles.cards(config.num_types, self.card_box.height, self.card_box.width)
        self.dealt_grid = CardGrid(layout, config.num_cards, config.num_types, 22, 2, 35, 60)
        self.counter_atlas = font.glyph_atlas(layout.glyph_scale(10))
        self.counter_width = len(str(config.num_cards))
        counter_width = self.counter_width * self.counter_atlas.shape[2]
        self.counter_top = round(layout.px(5.5))
        self.counter_left = (layout.size - counter_width) // 2
        self.hud = Hud(layout)
        frame = canvas.blank(layout.size, layout.size, "background")
        frame = self.dealt_grid.draw_board(frame)
        self.background = self.hud.draw_static(frame)

    def pomdp(self, state: State) -> jax.Array:
        return self._cards_and_counter(state)

    def mdp(self, state: State) -> jax.Array:
        return self._dealt_grid(self._cards_and_counter(state), state)

    def _cards_and_counter(self, state: State) -> jax.Array:
        """Current dealt and query cards, the counter and the score."""
        position = jnp.minimum(state.position, state.dealt.shape[0] - 1)
        cards = jnp.asarray(self.cards)
        frame = self.background
        for suit, box in (
            (state.dealt[position], self.card_box),
            (state.queries[position], self.query_box),
        ):
            frame = canvas.paste(frame, cards[suit], box.top, box.left)
        frame = canvas.number(
            frame, self.counter_atlas, state.counter, self.counter_width, self.counter_top,
            self.counter_left, "cursor",
        )  # fmt: skip
        return self.hud.draw(frame, state.num_correct)

    def _dealt_grid(self, frame: jax.Array, state: State) -> jax.Array:
        """Every card dealt so far, in dealing order."""
        is_dealt = jnp.arange(state.dealt.shape[0]) <= state.position
        ids = jnp.where(is_dealt, CardGrid.face(state.dealt), CardGrid.EMPTY)
        return self.dealt_grid.draw(frame, ids)


GAME = Game(
    name="CountRecall",
    config_type=Config,
    make_params=make_params,
    presets=PRESETS,
    reset=reset,
    step=step,
    renderer=Renderer,
    expert=expert,
    expert_return=EXPERT_RETURN,
)
