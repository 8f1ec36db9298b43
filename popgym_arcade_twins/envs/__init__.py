"""The games. `GAMES` is the table the registry generates ids from, in README order."""

from popgym_arcade_twins.envs import battleship, cartpole, count_recall, minesweeper, navigator

GAMES = (battleship.GAME, cartpole.GAME, count_recall.GAME, minesweeper.GAME, navigator.GAME)

__all__ = ["GAMES"]
