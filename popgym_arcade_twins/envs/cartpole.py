"""CartPole: integrate velocities (and, as NoisyCartPole, filter noise).

Rules: classic cart-pole physics (Euler steps of tau = 0.02 s, force 10 N). Left/right push the
cart; the other actions apply no force. The episode ends when the pole leans past 12 degrees or
the cart leaves [-2.4, 2.4] m, judged on the new state of the step that crosses the limit.

The frame shows the cart and pole, an arrow whose length and direction give the cart's velocity
and a curved arrow whose sweep gives the pole's angular velocity. The POMDP shows cart and pole
only at t=0, then only the two arrows, so position and angle must be integrated from memory.

NoisyCartPole is the same game with `noise_sigma` > 0: the drawn state (position, velocity, angle,
angular velocity) is perturbed by Gaussian noise in both twins while the dynamics stay noiseless.
The noise is drawn from the step key into the state, so twins given the same keys draw the same
noise and a state alone determines its frame.

Actions: left/right push; up/down/fire no force.
Reward: 1/max_steps per step survived (the step that ends the episode pays 0), return in [0, 1].
Truncation: 200/400/600 steps (CartPole), 200 (NoisyCartPole).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
from flax import struct

from popgym_arcade_twins.core import LEFT, RIGHT, Game, Params
from popgym_arcade_twins.render import Layout, canvas, shapes
from popgym_arcade_twins.render.hud import Hud


@dataclass(frozen=True)
class Config:
    """CartPole has no shape-changing settings."""


@struct.dataclass
class CartPoleParams(Params):
    gravity: float = 9.8
    cart_mass: float = 1.0
    pole_mass: float = 0.1
    pole_half_length: float = 0.5
    force: float = 10.0
    tau: float = 0.02
    angle_limit: float = 12 * math.pi / 180
    position_limit: float = 2.4
    noise_sigma: float = 0.0


@struct.dataclass
class State:
    physics: (
        jax.Array
    )  # float32[4]: position (m), velocity (m/s), angle (rad), angular velocity (rad/s)
    noise: jax.Array  # float32[4]: added to `physics` when drawing; zero when noise_sigma is 0
    time: jax.Array  # int32


PRESETS = {
    "Easy": {"max_steps_in_episode": 200},
    "Medium": {"max_steps_in_episode": 400},
    "Hard": {"max_steps_in_episode": 600},
}
NOISY_PRESETS = {
    "Easy": {"noise_sigma": 0.1},
    "Medium": {"noise_sigma": 0.2},
    "Hard": {"noise_sigma": 0.3},
}


def make_params(config: Config) -> CartPoleParams:
    return CartPoleParams(max_steps_in_episode=200)


def _noise(key: jax.Array, params: CartPoleParams) -> jax.Array:
    return params.noise_sigma * jax.random.normal(key, (4,))


def reset(key: jax.Array, config: Config, params: CartPoleParams) -> State:
    key_state, key_noise = jax.random.split(key)
    return State(
        physics=jax.random.uniform(key_state, (4,), minval=-0.05, maxval=0.05),
        noise=_noise(key_noise, params),
        time=jnp.zeros((), jnp.int32),
    )


def dynamics(physics: jax.Array, force: jax.Array, params: CartPoleParams) -> jax.Array:
    """One Euler step of the classic cart-pole equations."""
    _, x_dot, theta, theta_dot = physics
    total_mass = params.cart_mass + params.pole_mass
    pole_moment = params.pole_mass * params.pole_half_length
    cos, sin = jnp.cos(theta), jnp.sin(theta)
    temp = (force + pole_moment * theta_dot**2 * sin) / total_mass
    theta_acc = (params.gravity * sin - cos * temp) / (
        params.pole_half_length * (4 / 3 - params.pole_mass * cos**2 / total_mass)
    )
    x_acc = temp - pole_moment * theta_acc * cos / total_mass
    derivatives = jnp.stack([x_dot, x_acc, theta_dot, theta_acc])
    return physics + params.tau * derivatives


def step(key, state: State, action, config: Config, params: CartPoleParams):
    force = params.force * ((action == RIGHT).astype(jnp.float32) - (action == LEFT))
    physics = dynamics(state.physics, force, params)
    terminated = (jnp.abs(physics[0]) > params.position_limit) | (
        jnp.abs(physics[2]) > params.angle_limit
    )
    reward = jnp.where(terminated, 0.0, 1.0 / params.max_steps_in_episode)
    return state.replace(physics=physics, noise=_noise(key, params)), reward, terminated


EXPERT_RETURN = {"Easy": 0.99, "Medium": 0.99, "Hard": 0.99}
"""The least mean return `expert` reaches per difficulty (measured 1.0 on each, noise or not)."""


def expert(state: State, config: Config, params: CartPoleParams) -> jax.Array:
    """A linear controller on the true state: push towards where the pole is falling."""
    x, x_dot, theta, theta_dot = state.physics
    return jnp.where(theta + 0.5 * theta_dot + 0.05 * x + 0.2 * x_dot > 0, RIGHT, LEFT)


# Logical layout: the track spans x in [6, 58] for [-2.4, 2.4] m; arrows live below the ground.
TRACK_LEFT, TRACK_RIGHT, GROUND = 6.0, 58.0, 36.0
CART_WIDTH, CART_HEIGHT, POLE_LENGTH = 8.0, 4.0, 22.0
VELOCITY_SCALE = 6.0  # logical units of arrow per m/s
SPIN_SCALE = 1.2  # radians of sweep per rad/s


class Renderer:
    """Track band with cart and pole (MDP; POMDP at t=0 only); velocity arrows below it (both)."""

    def __init__(self, config: Config, layout: Layout):
        self.layout = layout
        self.track = layout.box(GROUND - POLE_LENGTH - 4, 0, POLE_LENGTH + 4, 64)
        self.linear = layout.box(40, 2, 16, 29)
        self.spin = layout.box(40, 33, 16, 29)
        self.hud = Hud(layout, label="STEP")
        frame = canvas.blank(layout.size, layout.size, "background")
        frame = canvas.fill_box(frame, layout.box(GROUND, 2, 0.75, 60), "cell")
        frame = canvas.fill_box(frame, self.linear, "panel")
        frame = canvas.fill_box(frame, self.spin, "panel")
        self.background = self.hud.draw_static(frame)

    def _window(self, box):
        return shapes.pixel_grid(box.height, box.width, box.top, box.left)

    def mdp(self, state: State) -> jax.Array:
        return self._draw_cart(self._draw_arrows(state), state, shown=True)

    def pomdp(self, state: State) -> jax.Array:
        return self._draw_cart(self._draw_arrows(state), state, shown=state.time == 0)

    def _draw_arrows(self, state: State) -> jax.Array:
        px = self.layout.px
        _, velocity, _, spin = state.physics + state.noise
        grid = self._window(self.linear)
        center_y, center_x = (
            (self.linear.top + self.linear.bottom) / 2,
            (self.linear.left + self.linear.right) / 2,
        )
        tip = center_x + px(VELOCITY_SCALE) * jnp.clip(velocity, -2.2, 2.2)
        velocity_arrow = shapes.arrow(grid, (center_y, center_x), (center_y, tip), px(1), px(3))
        frame = canvas.stamp(
            self.background, self.linear.top, self.linear.left, [(velocity_arrow, "green")]
        )
        grid = self._window(self.spin)
        center = ((self.spin.top + self.spin.bottom) / 2, (self.spin.left + self.spin.right) / 2)
        sweep = -SPIN_SCALE * jnp.clip(spin, -4.5, 4.5)
        spin_arrow = shapes.curved_arrow(grid, center, px(6), px(2), math.pi / 2, sweep, px(3))
        frame = canvas.stamp(frame, self.spin.top, self.spin.left, [(spin_arrow, "purple")])
        return self.hud.draw(frame, state.time)

    def _draw_cart(self, frame: jax.Array, state: State, shown) -> jax.Array:
        px = self.layout.px
        position, _, angle, _ = state.physics + state.noise
        units_per_metre = (TRACK_RIGHT - TRACK_LEFT) / 4.8
        cart_x = px(32 + units_per_metre * jnp.clip(position, -2.8, 2.8))
        top = px(GROUND - CART_HEIGHT)
        grid = self._window(self.track)
        cart = shapes.rect(
            grid, top, cart_x - px(CART_WIDTH / 2), px(GROUND), cart_x + px(CART_WIDTH / 2)
        )
        tip = (top - px(POLE_LENGTH) * jnp.cos(angle), cart_x + px(POLE_LENGTH) * jnp.sin(angle))
        pole = shapes.segment(grid, (top, cart_x), tip, px(0.9))
        layers = [(cart & shown, "blue"), (pole & shown, "orange")]
        return canvas.stamp(frame, self.track.top, self.track.left, layers)


def _game(name: str, presets: dict) -> Game:
    return Game(
        name=name,
        config_type=Config,
        make_params=make_params,
        presets=presets,
        reset=reset,
        step=step,
        renderer=Renderer,
        expert=expert,
        expert_return=EXPERT_RETURN,
    )


GAME = _game("CartPole", PRESETS)
NOISY_GAME = _game("NoisyCartPole", NOISY_PRESETS)
