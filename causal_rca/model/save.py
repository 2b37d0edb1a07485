"""Save a fitted model the safe way (skops), for scenarios and users who want to try replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_skops(model: Any, path: str | Path) -> Path:
    """Write ``model`` with ``skops.io.dump``: loading it later runs no code from the file."""
    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path)
    return path
