"""Optional metric logging where researchers look, beside `metrics.jsonl` and the sweep's
records: TensorBoard (tensorboardX) or Weights & Biases. Off by default; `pip install -e
".[log]"` brings both. Scalars are means over seeds, logged at env steps per seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LOGGERS = ("tensorboard", "wandb")
PROJECT = "popgym-arcade-twins"  # the Weights & Biases project


def check_available(kind: str) -> None:
    """A ValueError, saying what to install, if `kind` is unknown or its package is absent."""
    if kind not in LOGGERS:
        raise ValueError(f"log must be one of {LOGGERS}, got {kind!r}")
    module = "tensorboardX" if kind == "tensorboard" else "wandb"
    try:
        __import__(module)
    except ImportError:
        raise ValueError(f"--log {kind} needs {module}: pip install -e '.[log]'") from None


def _mean(value: Any) -> float | None:
    """The mean over seeds of a metric (a number or a list with None for "no episode ended")."""
    values = [v for v in (value if isinstance(value, list | tuple) else [value]) if v is not None]
    values = [float(v) for v in values if not math.isnan(float(v))]
    return sum(values) / len(values) if values else None


class MetricLogger:
    """`log(step, metrics)` writes each metric's mean over seeds under `prefix`/name: TensorBoard
    event files in `run_dir/tensorboard`, or a Weights & Biases run kept in `run_dir` (offline
    with WANDB_MODE=offline) whose config is `settings`."""

    def __init__(self, kind: str, run_dir: str | Path, name: str, settings: Mapping[str, Any]):
        check_available(kind)
        self.kind = kind
        if kind == "tensorboard":
            from tensorboardX import SummaryWriter

            self._writer = SummaryWriter(str(Path(run_dir) / "tensorboard"))
        else:
            import wandb

            Path(run_dir).mkdir(parents=True, exist_ok=True)
            self._run = wandb.init(
                project=PROJECT, name=name, dir=str(run_dir), config=dict(settings),
                reinit="create_new",
            )  # fmt: skip

    def log(self, step: int, metrics: Mapping[str, Any], prefix: str = "") -> None:
        scalars = {f"{prefix}{k}": _mean(v) for k, v in metrics.items()}
        scalars = {k: v for k, v in scalars.items() if v is not None}
        if self.kind == "tensorboard":
            for name, value in scalars.items():
                self._writer.add_scalar(name, value, step)
        else:
            self._run.log(scalars, step=step)

    def close(self) -> None:
        if self.kind == "tensorboard":
            self._writer.close()
        else:
            self._run.finish()
