"""Hand-made sweep records, for tests of what reads and writes them (no training)."""

import numpy as np

from baselines.experiments.records import CellRecord


def hand_made_record(
    env_id: str = "CartPoleEasy", variant: str = "MDP", memory: str = "lru", **changes
) -> CellRecord:
    """A record of cell env_id/variant/memory with small NaN-free fields; `changes` override."""
    fields = dict(
        cell=f"{env_id}/{variant}/{memory}",
        env_id=env_id,
        variant=variant,
        memory=memory,
        fingerprint="abc",
        seeds=(0, 1),
        eval_return=(0.5, 0.25),
        eval_return_std=(0.1, 0.0),
        eval_episodes=4,
        train_env_steps=(64, 128),
        train_return=((None, 0.5), (0.25, 1.0)),
        recall_density=((0.5, 0.5), (1.0, 0.0)),
        saliency_file=f"cells/{env_id}__{variant}__{memory}.npz".replace(":", "-"),
        wall_s=1.0,
        settings={"obs_size": 32, "seeds": (0, 1)},
        provenance={"git_commit": "abc", "versions": {"jax": "0"}},
        capacity=(2, 64),
    )
    return CellRecord(**(fields | changes))


def write_saliency(folder, records: list[CellRecord], size: int = 8) -> None:
    """A saliency file per record: frames and a saliency that falls by 1e3 per earlier frame."""
    (folder / "cells").mkdir(exist_ok=True)
    frames = np.zeros((2, 4, size, size, 3), np.uint8)
    saliency = np.random.default_rng(0).random((2, 4, size, size))
    saliency *= 10.0 ** (3 * np.arange(4) - 12)[None, :, None, None]
    for r in records:
        np.savez(folder / r.saliency_file, saliency=saliency, mdp_frames=frames,
                 pomdp_frames=frames, length=np.array([8, 8]))  # fmt: skip
