"""The tau-usi release as a typed dataset: a Hub-ready Parquet repo and a builder.

- :func:`build_repo` (``usi dataset build RELEASE_DIR OUT_DIR``): Parquet shards per config
  (``human``, ``simulators``, ``surveys``), the people as a human reference without text
  (config ``reference``) and a card whose YAML declares them, so
  ``datasets.load_dataset(OUT_DIR, "human")`` and the Hub viewer read it.
- :class:`TauUSI`: a ``datasets.GeneratorBasedBuilder`` over a raw release you hold locally.
- :func:`release_from_records` / :func:`evaluate_kwargs`: score the records like the raw release.

Columns are declared once, in :mod:`dataset_builder.schema`.

>>> CONFIG_NAMES
('human', 'simulators', 'surveys')
"""

from dataset_builder.evaluate_records import evaluate_kwargs
from dataset_builder.repo import BuildResult, build_repo
from dataset_builder.schema import CONFIG_NAMES, FEATURES, SPLIT
from dataset_builder.sessions import release_from_records
from dataset_builder.tau_usi import TauUSI, TauUSIConfig
from usi_metric.io.layout import REPO_ID

__all__ = [
    "CONFIG_NAMES",
    "FEATURES",
    "REPO_ID",
    "SPLIT",
    "BuildResult",
    "TauUSI",
    "TauUSIConfig",
    "build_repo",
    "evaluate_kwargs",
    "release_from_records",
]
