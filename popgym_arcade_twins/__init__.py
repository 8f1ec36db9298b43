"""popgym-arcade-twins: pure-JAX pixel games as MDP/POMDP twins for studying memory in RL.

Importing the package registers every game's ids here, with gymnax and
with gymnasium. `__version__` is the
package's version; each game has its own (`Game.version`, `game_version(env_id)`).
"""

from popgym_arcade_twins.core import ACTION_NAMES, NUM_ACTIONS, Game, TwinEnv
from popgym_arcade_twins.envs import GAMES
from popgym_arcade_twins.registry import (
    OBS_SIZES,
    game_version,
    make,
    make_twins,
    register,
    registered_envs,
    versions,
)

__version__ = "0.1.0"

for _game in GAMES:
    register(_game)

__all__ = [
    "ACTION_NAMES",
    "GAMES",
    "NUM_ACTIONS",
    "OBS_SIZES",
    "Game",
    "TwinEnv",
    "__version__",
    "game_version",
    "make",
    "make_twins",
    "register",
    "registered_envs",
    "versions",
]
