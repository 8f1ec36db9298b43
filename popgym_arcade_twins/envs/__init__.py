"""The games. `GAMES` is the table the registry generates ids from, in README order."""

from popgym_arcade_twins.envs import (
    autoencode,
    cartpole,
    count_recall,
    minesweeper,
    tetris,
)

GAMES = (
    autoencode.GAME,
    cartpole.GAME,
    count_recall.GAME,
    minesweeper.GAME,
    tetris.GAME,
)

__all__ = ["GAMES"]
