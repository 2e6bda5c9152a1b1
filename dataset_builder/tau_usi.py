"""``TauUSI``: a ``datasets.GeneratorBasedBuilder`` over a raw release folder you hold locally.

``datasets`` 5 has no loading scripts, so the Hub serves the Parquet repo that
``usi dataset build`` writes; this builder is used directly, and yields exactly the records of
that repo (same schema, same order, same code path: :mod:`dataset_builder.records`)::

    builder = TauUSI(config_name="human", data_dir="path/to/release")
    builder.download_and_prepare()
    human = builder.as_dataset(split="test")

Only ``from_hub=True`` downloads the raw files of ``cmu-lti/tau-usi`` first (with
``huggingface_hub``). ``datasets`` caches the prepared data by config and ``data_dir``: after
the raw files change, pass ``download_mode="force_redownload"`` to ``download_and_prepare``.
A bad file stops the preparation: ``datasets`` raises ``DatasetGenerationError`` whose
``__cause__`` is the library's one-line :class:`usi_metric.errors.UsiError`.

>>> sorted(TauUSI.builder_configs)
['human', 'simulators', 'surveys']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
from datasets.builder import Key

from dataset_builder.download import download_release
from dataset_builder.records import config_records, release_plan
from dataset_builder.schema import CONFIG_DESCRIPTIONS, CONFIG_NAMES, FEATURES, SPLIT
from usi_metric.errors import UsiError
from usi_metric.io.layout import REPO_ID

VERSION = datasets.Version("1.0.0")
HOMEPAGE = f"https://huggingface.co/datasets/{REPO_ID}"
LICENSE = "research and evaluation use only; not for training LLMs"
CITATION = """\
@article{zhou2026sim2real,
  title   = {Mind the Sim2Real Gap in User Simulation for Agentic Tasks},
  author  = {Zhou and Sun and Ma and Xie and Liu and Du and Welleck and Yang and Neubig and
             Wu and Sap},
  journal = {arXiv preprint arXiv:2603.11245},
  year    = {2026}
}
"""
DESCRIPTION = (
    "tau-usi: real people (451 participants, 165 tau-bench tasks, 495 sessions) and 31 LLM "
    "user simulators on the same airline/retail tasks with the same agent (GPT-5.2), with "
    "surveys; the reference data of the User-Sim Index (arXiv:2603.11245)."
)


@dataclass
class TauUSIConfig(datasets.BuilderConfig):
    """A config of ``TauUSI``: ``data_dir`` (the raw release), or ``from_hub=True``."""

    from_hub: bool = False
    revision: str | None = None


class TauUSI(datasets.GeneratorBasedBuilder):
    """The ``human``, ``simulators`` and ``surveys`` configs from a raw release folder."""

    BUILDER_CONFIG_CLASS = TauUSIConfig
    BUILDER_CONFIGS = [TauUSIConfig(name=name, version=VERSION,
                                    description=CONFIG_DESCRIPTIONS[name])
                       for name in CONFIG_NAMES]
    DEFAULT_CONFIG_NAME = "human"

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=f"{DESCRIPTION} Config {self.config.name}: "
            f"{CONFIG_DESCRIPTIONS[self.config.name]}",
            features=FEATURES[self.config.name],
            homepage=HOMEPAGE,
            license=LICENSE,
            citation=CITATION,
        )

    def _release_root(self) -> Path:
        if self.config.data_dir:
            return Path(self.config.data_dir)
        if self.config.from_hub:
            return download_release(revision=self.config.revision)
        raise UsiError("give data_dir= (a raw tau-usi release folder), or from_hub=True to "
                       "download the raw files of cmu-lti/tau-usi", field="data_dir")

    def _split_generators(self, dl_manager: Any) -> list[datasets.SplitGenerator]:
        root = self._release_root()
        files = release_plan(root)[self.config.name]
        if not files:  # datasets would fail later with "corresponds to no data"
            pattern = {"simulators": "eval_results_*.json",
                       "surveys": "survey_comparable_*.json"}.get(self.config.name, "")
            raise UsiError(f"the release has no file of the {self.config.name} config "
                           f"({pattern})", file=str(root))
        return [datasets.SplitGenerator(name=SPLIT, gen_kwargs={"files": files})]

    def _generate_shards(self, files: list[tuple[str, Path]]) -> Iterator[str]:
        for _, path in files:
            yield str(path)

    def _generate_examples(self, files: list[tuple[str, Path]]) -> Iterator[tuple[Key,
                                                                              dict[str, Any]]]:
        for file_index, row_index, record in config_records(self.config.name, files):
            yield Key(file_index, row_index), record
