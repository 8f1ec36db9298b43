"""The play command, headless: scripted key presses drive a real pygame event loop."""

import json

import jax
import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

import popgym_arcade_twins as pat  # noqa: E402
from popgym_arcade_twins import cli  # noqa: E402
from popgym_arcade_twins.play import WINDOW, play  # noqa: E402


@pytest.fixture
def press(monkeypatch):
    """Queue key presses for the next session (dummy video driver, no window)."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.event.clear()

    def queue(*keys):
        for key in keys:
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))

    return queue


def test_each_mapped_key_is_one_step_and_episodes_are_scored(press):
    # Skittles pays 1/100 per step survived; nothing can land on the agent in 3 steps
    press(pygame.K_LEFT, pygame.K_a, pygame.K_RIGHT, pygame.K_SPACE, pygame.K_ESCAPE)
    summary = play("SkittlesEasy", obs_size=64, max_steps_in_episode=2)
    assert summary.steps == 3  # "a" is not an action
    assert summary.episode_returns == [pytest.approx(0.02)]  # truncated after two steps
    assert summary.running_return == pytest.approx(0.01)


def test_closing_the_window_quits(press):
    press(pygame.K_UP)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    summary = play("BreakoutEasy", partial_obs=True, obs_size=64)
    assert summary.steps == 1 and summary.episode_returns == []


def test_cli_play_prints_the_summary(press, capsys):
    press(pygame.K_DOWN, pygame.K_DOWN, pygame.K_ESCAPE)
    cli.main(["play", "SkittlesEasy", "--pomdp", "--size", "64"])
    assert json.loads(capsys.readouterr().out)["steps"] == 2


def test_window_shows_the_frame_scaled_up(press, monkeypatch):
    shown = []
    flip = pygame.display.flip
    monkeypatch.setattr(
        pygame.display,
        "flip",
        lambda: (shown.append(pygame.surfarray.array3d(pygame.display.get_surface())), flip()),
    )
    press(pygame.K_ESCAPE)
    play("BreakoutEasy", partial_obs=True, obs_size=64, seed=5)
    env, params = pat.make("BreakoutEasy", partial_obs=True, obs_size=64)
    key_reset, _ = jax.random.split(jax.random.key(5))
    frame = np.asarray(env.reset(key_reset, params)[0])
    scale = WINDOW // 64
    window = shown[0].transpose(1, 0, 2)
    assert np.array_equal(window[: 64 * scale], frame.repeat(scale, 0).repeat(scale, 1))
