"""The bundled SYNTHETIC sample release (not the paper's data), made by
``scripts/make_synthetic_sample.py``, and the one rule that tells a synthetic release.

>>> sample_release_dir().name, is_synthetic(sample_release_dir()), is_synthetic("/nowhere")
('synthetic_tau_usi', True, False)
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


SYNTHETIC_NOTE = ("SYNTHETIC DATA: this release is the bundled synthetic sample, made-up "
                  "sessions for trying the tools. None of these numbers are the paper's.")
# The generator writes a README.md whose first line starts so at the release's root.
SYNTHETIC_MARK = "# SYNTHETIC"


def is_synthetic(data_dir: str | Path) -> bool:
    """True when the release folder is marked synthetic (its README.md's first line starts
    with ``# SYNTHETIC``, as the generator writes it)."""
    from usi_metric.io.layout import release_root

    readme = release_root(data_dir) / "README.md"
    try:
        with open(readme, encoding="utf-8") as fh:
            return fh.readline().startswith(SYNTHETIC_MARK)
    except (OSError, UnicodeDecodeError):
        return False
