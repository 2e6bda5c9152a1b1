"""The bundled SYNTHETIC sample release (not the paper's data), made by
``scripts/make_synthetic_sample.py``.

>>> sample_release_dir().name
'synthetic_tau_usi'
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def sample_release_dir() -> Path:
    """Folder of the bundled synthetic release (tau-usi layout)."""
    return _HERE / "synthetic_tau_usi"


def new_simulator_dir() -> Path:
    """Folder of a synthetic NEW simulator's runs (rollout format) and survey answers."""
    return _HERE / "synthetic_new_simulator"
