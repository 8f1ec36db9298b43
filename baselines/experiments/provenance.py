"""What made a result: the code's git commit, the package versions and the devices."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

import jax

PACKAGES = ("jax", "jaxlib", "flax", "optax", "numpy", "gymnax", "popgym-arcade-twins")
ROOT = Path(__file__).resolve().parents[2]


def git_commit() -> str:
    """HEAD's commit of the checkout the code runs from, "+dirty" if it has uncommitted changes
    to tracked files; "unknown" outside a git checkout."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Python's version and those of PACKAGES and the `extra` packages ("absent" if missing)."""
    found = {"python": platform.python_version()}
    for name in (*PACKAGES, *extra):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def provenance(extra: tuple[str, ...] = ()) -> dict[str, object]:
    """The git commit, package versions (`extra` packages too), backend, device kind and
    device/process counts."""
    return {
        "git_commit": git_commit(),
        "versions": versions(extra),
        "backend": jax.default_backend(),
        "device_kind": jax.devices()[0].device_kind,
        "device_count": jax.device_count(),
        "process_count": jax.process_count(),
    }
