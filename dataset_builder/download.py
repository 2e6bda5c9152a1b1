"""The raw release from the Hub, only when the user asks for it (``usi dataset download`` or
``TauUSI(..., from_hub=True)``). Nothing else in this package touches the network.

>>> RAW_PATTERNS
('*.json',)
"""

from __future__ import annotations

from pathlib import Path

from usi_metric.errors import UsiError
from usi_metric.io import find_human_file
from usi_metric.io.layout import REPO_ID

# Every JSON file of the repo: data/, eval_results/ and survey_data/ (fnmatch: * crosses /).
RAW_PATTERNS: tuple[str, ...] = ("*.json",)


def download_release(local_dir: str | Path | None = None, revision: str | None = None,
                     repo_id: str = REPO_ID) -> Path:
    """Download the raw JSON files of ``cmu-lti/tau-usi`` (a ``huggingface_hub`` snapshot)
    and return the release folder. Gated or unreachable repos are a one-line UsiError."""
    from huggingface_hub import snapshot_download

    try:
        path = snapshot_download(repo_id=repo_id, repo_type="dataset", revision=revision,
                                 local_dir=None if local_dir is None else str(local_dir),
                                 allow_patterns=list(RAW_PATTERNS))
    except Exception as exc:  # network, auth, gating, offline mode: one line for the user
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise UsiError(f"cannot download the raw release ({type(exc).__name__}: {first}); "
                       "a gated dataset needs `hf auth login` and accepted terms",
                       file=f"hf://datasets/{repo_id}") from None
    root = Path(path)
    find_human_file(root)
    return root
