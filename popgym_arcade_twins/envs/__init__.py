"""The games. `GAMES` is the table the registry generates ids from, in README order."""

from popgym_arcade_twins.envs import breakout, cartpole, count_recall, minesweeper, skittles

GAMES = (
    breakout.GAME,
    cartpole.GAME,
    count_recall.GAME,
    minesweeper.GAME,
    cartpole.NOISY_GAME,
    skittles.GAME,
)

__all__ = ["GAMES"]
