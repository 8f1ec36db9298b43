"""AutoEncode: memory of a sequence.

Rules: a shuffled deck of `num_cards` cards of `num_suits` suits is dealt one card per step: the
watch phase. The current card is shown top left; the agent's actions cannot change the deal. After
the last card the play phase begins: the agent must output the suits in reverse order of dealing
(last dealt first). A selector shows the suits top right; left/right cycle it (in both phases, so
the agent may preselect), and fire confirms the selected suit as the next output, right or wrong.

MDP: also shows the grid of every card dealt so far; in the play phase the cards already output
are turned face down and the next one to output is outlined, so the frame alone gives the answer
(the output position is on screen, so the MDP is Markov). POMDP hides the grid: only the current
card (watch phase), the selector and the score are shown, so the agent must remember the whole
sequence, and count its own confirms, to answer.

Actions: left/right cycle the selector, fire confirms (play phase only); up/down no-op.
Reward: +1/num_cards per correct confirmed card (return in [0, 1]).
Termination: when all cards are output. Truncation: 10 x num_cards steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from popgym_arcade_twins.core import FIRE, LEFT, RIGHT, Game, Params
from popgym_arcade_twins.render import Layout, canvas, shapes, tiles
from popgym_arcade_twins.render.card_grid import CardGrid
from popgym_arcade_twins.render.hud import Hud
from popgym_arcade_twins.render.sprites import SUITS


@dataclass(frozen=True)
class Config:
    num_cards: int = 26
    num_suits: int = 4

    def __post_init__(self):
        if not 1 <= self.num_suits <= len(SUITS):
            raise ValueError(f"num_suits must be in 1..{len(SUITS)}, got {self.num_suits}")
        if self.num_cards < 1:
            raise ValueError(f"num_cards must be positive, got {self.num_cards}")


@struct.dataclass
class AutoEncodeParams(Params):
    correct_reward: float = 1 / 26


@struct.dataclass
class State:
    cards: jax.Array  # int32[num_cards]: suit of each card, in dealing order
    # int32 in [0, 2 num_cards]: below num_cards, the index of the card being watched; from
    # num_cards on, num_cards + the number of cards output so far
    position: jax.Array
    selector: jax.Array  # int32 in [0, num_suits): the selected suit
    num_correct: jax.Array  # int32: correct outputs so far (the score)
    time: jax.Array  # int32


PRESETS = {
    "Easy": {"num_cards": 26},
    "Medium": {"num_cards": 52},
    "Hard": {"num_cards": 78},
}


def make_params(config: Config) -> AutoEncodeParams:
    return AutoEncodeParams(
        max_steps_in_episode=10 * config.num_cards, correct_reward=1 / config.num_cards
    )


def reset(key: jax.Array, config: Config, params: AutoEncodeParams) -> State:
    deck = jnp.arange(config.num_cards, dtype=jnp.int32) % config.num_suits
    zero = jnp.zeros((), jnp.int32)
    return State(
        cards=jax.random.permutation(key, deck),
        position=zero,
        selector=zero,
        num_correct=zero,
        time=zero,
    )


def target(state: State) -> jax.Array:
    """The suit to output next: the last card during the watch phase (preselection)."""
    num_cards = state.cards.shape[0]
    num_output = jnp.clip(state.position - num_cards, 0, num_cards - 1)
    return state.cards[num_cards - 1 - num_output]


def step(key, state: State, action, config: Config, params: AutoEncodeParams):
    num_cards = config.num_cards
    is_watching = state.position < num_cards
    confirm = (action == FIRE) & ~is_watching
    correct = confirm & (state.selector == target(state))
    turn = (action == RIGHT).astype(jnp.int32) - (action == LEFT)
    position = state.position + (is_watching | confirm)
    state = state.replace(
        position=position,
        selector=(state.selector + turn) % config.num_suits,
        num_correct=state.num_correct + correct,
    )
    return state, correct * params.correct_reward, position >= 2 * num_cards


EXPERT_RETURN = {"Easy": 0.99, "Medium": 0.99, "Hard": 0.99}
"""The least mean return `expert` reaches per difficulty (measured 1.0 on each)."""


def expert(state: State, config: Config, params: AutoEncodeParams) -> jax.Array:
    """Cycle the selector the short way to the next suit to output, then confirm."""
    ahead = (target(state) - state.selector) % config.num_suits
    return jnp.where(ahead == 0, FIRE, jnp.where(2 * ahead <= config.num_suits, RIGHT, LEFT))


class Renderer:
    """Top: current card and the suit selector. Middle (MDP only): the grid of dealt cards."""

    def __init__(self, config: Config, layout: Layout):
        self.card_box = layout.box(2, 2, 17, 13)
        height, width = self.card_box.height, self.card_box.width
        empty = canvas.blank(height, width, "board")[None]  # no current card: the play phase
        self.cards = np.concatenate([tiles.cards(config.num_suits, height, width), empty])
        self.selector_box = layout.box(2, 18, 17, 44)
        self.selectors = _selector_strips(config.num_suits, self.selector_box)
        self.dealt_grid = CardGrid(layout, config.num_cards, config.num_suits, 22, 2, 35, 60)
        self.hud = Hud(layout)
        frame = self.dealt_grid.draw_board(canvas.blank(layout.size, layout.size, "background"))
        self.background = self.hud.draw_static(frame)

    def pomdp(self, state: State) -> jax.Array:
        return self._card_and_selector(state)

    def mdp(self, state: State) -> jax.Array:
        return self._dealt_grid(self._card_and_selector(state), state)

    def _card_and_selector(self, state: State) -> jax.Array:
        """The card being watched (blank in the play phase), the selector and the score."""
        num_cards = state.cards.shape[0]
        position = jnp.minimum(state.position, num_cards - 1)
        shown = jnp.where(state.position < num_cards, state.cards[position], len(self.cards) - 1)
        frame = canvas.paste(
            self.background, jnp.asarray(self.cards)[shown], self.card_box.top, self.card_box.left
        )
        strip = jnp.asarray(self.selectors)[state.selector]
        frame = canvas.paste(frame, strip, self.selector_box.top, self.selector_box.left)
        return self.hud.draw(frame, state.num_correct)

    def _dealt_grid(self, frame: jax.Array, state: State) -> jax.Array:
        """Cards dealt so far face up; output ones face down; the next to output outlined."""
        num_cards = state.cards.shape[0]
        index = jnp.arange(num_cards)
        num_output = jnp.maximum(state.position - num_cards, 0)
        is_output = index >= num_cards - num_output
        ids = jnp.where(is_output, self.dealt_grid.back, CardGrid.face(state.cards))
        ids = jnp.where(index <= state.position, ids, CardGrid.EMPTY)
        is_next = (index == num_cards - 1 - num_output) & (state.position >= num_cards)
        return self.dealt_grid.draw(frame, ids + self.dealt_grid.cursor * is_next)


def _selector_strips(num_suits: int, box) -> np.ndarray:
    """uint32[num_suits, h, w]: the row of suit cards, with the selected one framed."""
    slot = box.width // num_suits
    margin = max(1, slot // 8)
    faces = tiles.cards(num_suits, box.height - 2 * margin, slot - 2 * margin, "background")
    strip = canvas.blank(box.height, box.width, "background")
    for suit, face in enumerate(faces):
        strip[margin:-margin, suit * slot + margin : (suit + 1) * slot - margin] = face
    grid = shapes.pixel_grid(box.height, box.width)
    frames = [
        shapes.frame(grid, 0, s * slot, box.height, (s + 1) * slot, max(1, margin // 2))
        for s in range(num_suits)
    ]
    return np.stack([canvas.paint(strip, f, "cursor") for f in frames])


GAME = Game(
    name="AutoEncode",
    config_type=Config,
    make_params=make_params,
    presets=PRESETS,
    reset=reset,
    step=step,
    renderer=Renderer,
    expert=expert,
    expert_return=EXPERT_RETURN,
)
