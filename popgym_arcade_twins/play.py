"""Play any id yourself in a window: `popgym-arcade-twins play BreakoutEasy [--pomdp]`.

Turn-based: every key press is one env step. Arrows are up/down/left/right, space is fire, Esc (or
closing the window) quits. The window shows the frame the agent sees, scaled up, with the running
return. Needs pygame (`pip install "popgym-arcade-twins[play]"`); it is imported only here, so the
package never needs it. Runs headless with `SDL_VIDEODRIVER=dummy` for scripted tests.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import jax
import numpy as np

from popgym_arcade_twins.core import DOWN, FIRE, LEFT, RIGHT, UP
from popgym_arcade_twins.registry import make

WINDOW = 768  # target width of the scaled frame, pixels
STATUS_HEIGHT = 32


@dataclasses.dataclass
class Summary:
    """What a play session did: steps taken, the returns of finished episodes, the running one."""

    steps: int = 0
    episode_returns: list[float] = dataclasses.field(default_factory=list)
    running_return: float = 0.0


def key_actions(pygame: Any) -> dict[int, int]:
    """pygame key code -> action."""
    return {
        pygame.K_UP: UP,
        pygame.K_DOWN: DOWN,
        pygame.K_LEFT: LEFT,
        pygame.K_RIGHT: RIGHT,
        pygame.K_SPACE: FIRE,
    }


def play(
    env_id: str, partial_obs: bool = False, obs_size: int = 256, seed: int = 0, **overrides: Any
) -> Summary:
    """Open a window and play `env_id` until Esc or the window is closed; returns a `Summary`."""
    pygame = _import_pygame()
    env, params = make(env_id, partial_obs=partial_obs, obs_size=obs_size, **overrides)
    step, reset = jax.jit(env.step), jax.jit(env.reset)
    key_reset, key = jax.random.split(jax.random.key(seed))
    obs, state = reset(key_reset, params)
    scale = max(1, WINDOW // obs_size)
    pygame.display.init()
    pygame.font.init()
    try:
        screen = pygame.display.set_mode((obs_size * scale, obs_size * scale + STATUS_HEIGHT))
        pygame.display.set_caption(f"{env.name}: arrows move, space fires, Esc quits")
        font = pygame.font.Font(None, STATUS_HEIGHT - 6)
        actions, summary = key_actions(pygame), Summary()
        _show(pygame, screen, font, obs, scale, summary)
        while True:
            event = pygame.event.wait()
            if event.type == pygame.QUIT or (
                event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE
            ):
                return summary
            if event.type != pygame.KEYDOWN or event.key not in actions:
                continue
            key, key_step = jax.random.split(key)
            obs, state, reward, terminated, truncated, _ = step(
                key_step, state, actions[event.key], params
            )
            summary.steps += 1
            summary.running_return += float(reward)
            if bool(terminated | truncated):
                summary.episode_returns.append(summary.running_return)
                summary.running_return = 0.0
            _show(pygame, screen, font, obs, scale, summary)
    finally:
        pygame.display.quit()


def _show(pygame: Any, screen: Any, font: Any, obs: jax.Array, scale: int, summary: Summary):
    frame = np.asarray(obs).repeat(scale, axis=0).repeat(scale, axis=1)
    screen.fill((16, 16, 16))
    screen.blit(pygame.surfarray.make_surface(frame.transpose(1, 0, 2)), (0, 0))
    text = f"return {summary.running_return:+.3f}   steps {summary.steps}"
    if summary.episode_returns:
        text += f"   last episode {summary.episode_returns[-1]:+.3f}"
    label = font.render(text, True, (242, 242, 242))
    screen.blit(label, (8, frame.shape[0] + (STATUS_HEIGHT - label.get_height()) // 2))
    pygame.display.flip()


def _import_pygame():
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame
    except ImportError as error:
        raise ImportError(
            'playing needs pygame: pip install "popgym-arcade-twins[play]" (or pip install pygame)'
        ) from error
    return pygame
