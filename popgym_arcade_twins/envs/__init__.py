"""The games. `GAMES` is the table the registry generates ids from, in README order."""

from popgym_arcade_twins.envs import (
    autoencode,
    battleship,
    breakout,
    cartpole,
    count_recall,
    minesweeper,
    navigator,
    skittles,
    tetris,
)

GAMES = (
    autoencode.GAME,
    battleship.GAME,
    breakout.GAME,
    cartpole.GAME,
    count_recall.GAME,
    minesweeper.GAME,
    navigator.GAME,
    cartpole.NOISY_GAME,
    skittles.GAME,
    tetris.GAME,
)

__all__ = ["GAMES"]
