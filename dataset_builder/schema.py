"""The typed columns of the three configs of the ``cmu-lti/tau-usi`` dataset, in one place.

Every config shares the names below; a value that is missing or invalid in the raw release is
null, never a made-up default. ``features`` holds the 19 behavioural features plus
``n_turns`` of ``usi_metric.features`` in raw units (rates as fractions), all null when the
conversation yields no features (docs/features.md).

>>> sorted(FEATURES)
['human', 'simulators', 'surveys']
>>> FEATURES["simulators"]["run"].dtype, FEATURES["human"]["keep"].dtype
('int32', 'bool')
"""

from __future__ import annotations

import datasets

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
from usi_metric.features import COLUMNS

SPLIT = "test"
CONFIG_NAMES: tuple[str, ...] = ("human", "simulators", "surveys")

# The further config of the Hub repo: the people as a human reference (usi_metric.reference),
# one row per human session and no text; written by ``build_repo``, not by ``TauUSI``.
REFERENCE_CONFIG = "reference"
HUB_CONFIGS: tuple[str, ...] = (*CONFIG_NAMES, REFERENCE_CONFIG)

# Where each config's Parquet shards live inside the dataset repo.
DATA_DIRS: dict[str, str] = {name: name for name in HUB_CONFIGS}

CONFIG_DESCRIPTIONS: dict[str, str] = {
    "human": "The human sessions: 3 annotators x the tau-bench tasks, one row per session.",
    "simulators": "Every run of every LLM user simulator on the same tasks, one row per "
    "session, with the simulator's name and run.",
    "surveys": "The survey_comparable files: each judge's answers to the 8-question survey "
    "about human sessions (a simulator's, or human-eval-100's: a second person).",
    REFERENCE_CONFIG: "The people as the USI's human reference: one row per human session "
    "with its labels, reward, features and survey answers as ordinals, and no text.",
}

_STR = datasets.Value("string")
_INT = datasets.Value("int32")
_FLOAT = datasets.Value("float64")
_BOOL = datasets.Value("bool")

MESSAGE = {"role": _STR, "content": _STR}
SURVEY = {name: _STR for name in SURVEY_FIELDS}
FEATURE_STRUCT = {name: _FLOAT for name in COLUMNS}

_TASK = {"task_id": _STR, "domain": _STR, "task_index": _INT}
_SESSION = {
    "agent_id": _STR,
    "conversation": datasets.List(MESSAGE),
    "survey": SURVEY,
    "reward": _FLOAT,
    "success": _BOOL,
    "keep": _BOOL,
    "features": FEATURE_STRUCT,
}

FEATURES: dict[str, datasets.Features] = {
    "human": datasets.Features({
        "instance_id": _STR, "base_id": _STR, **_TASK, "annotator": _INT, **_SESSION,
    }),
    "simulators": datasets.Features({
        "instance_id": _STR, "base_id": _STR, **_TASK,
        "simulator": _STR, "run": _INT, "ece_run": _INT, **_SESSION,
    }),
    "surveys": datasets.Features({
        "judge": _STR, "instance_id": _STR, "task_id": _STR, "annotator": _INT,
        "survey": SURVEY,
    }),
}

# What each column means, for the card and for ``help``; one entry per column of any config.
COLUMN_DOCS: dict[str, str] = {
    "instance_id": "the id as in the raw file (`airline_7_ann2`, `retail_12_2`, ...)",
    "base_id": "the task instance the session belongs to, as the metric matches sessions: "
    "a human id without `_annN`; a simulator id without its run suffix in a multi-run file",
    "task_id": "the task key (`airline_7`), docs/ids-and-runs.md",
    "domain": "`airline` or `retail` (null when the id has no `{domain}_{index}` start)",
    "task_index": "the task's index within its domain (null as for `domain`)",
    "annotator": "the human batch 1-3 (`_ann2` -> 2, `_ann3` -> 3, else 1); in `surveys`, "
    "the batch of the human session the answers are about",
    "simulator": "the simulator's name, from `eval_results_<simulator>.json`",
    "run": "the run the metric groups the session in (an integer): 1-3 from the `_1`/`_2`/`_3` "
    "suffix in a multi-run file (more than 170 entries), 0 for another id in such a file, "
    "1 in a single-run file, or the record's own `run`",
    "ece_run": "the run index the outcome calibration (ECE) uses: the id's third number, "
    "else 1 (the record's `run` in the rollout format); equal to `run` except for odd ids",
    "judge": "whose answers: a simulator's name, or `human-eval-100` (a second person)",
    "agent_id": "the agent of the session (null when missing or not text)",
    "conversation": "the messages `{role, content}` in order, as in the file (meta messages "
    "included; `content` null when null in the file)",
    "survey": "the 8 survey answers as text (docs/eval.md), null when not answered",
    "reward": "the tau-bench rule-based reward (null when missing)",
    "success": "`reward > 0`, as the metric counts it (a null reward counts as no success)",
    "keep": "true, false, or null exactly as the metric reads it (an absent `keep` is true; "
    "null is left out of rows and human rewards, docs/features.md)",
    "features": "the 19 behavioural features + `n_turns` computed by `usi_metric` (raw "
    "units: rates as fractions); every field null when the conversation yields no features",
}


def column_names(config: str) -> list[str]:
    """The columns of a config, in order.

    >>> column_names("surveys")
    ['judge', 'instance_id', 'task_id', 'annotator', 'survey']
    """
    return list(FEATURES[config])


# The columns of the ``reference`` config (usi_metric.reference.store writes them), grouped
# for the card: (column or group, meaning).
REFERENCE_COLUMN_DOCS: tuple[tuple[str, str], ...] = (
    ("`id`", "the session's id as in the raw human file (`airline_7_ann2`)"),
    ("`base_id`", "the task instance, as the metric matches sessions (the id without `_annN`)"),
    ("`task_key`", "the task key (`airline_7`)"),
    ("`batch`", "the human batch as a label (`1`-`3`: the annotator)"),
    ("`keep`", "true, false or null, as the metric reads it"),
    ("`reward`", "the tau-bench reward as given (null when missing)"),
    ("the 19 features and `n_turns`", "float, raw units as in `features` of the `human` "
     "config; NaN in every one when the conversation yields no features"),
    ("`survey_<question>` (8)", "the person's survey answers as the ordinal value of the "
     "option on the question's scale (docs/eval.md); null when not answered or not an option"),
    ("`second_order`", "the place of the second person's answer (`human-eval-100`) in their "
     "file, the order the human ceiling's Eval reads; null when they did not judge the "
     "session"),
    ("`second_<question>` (8)", "the second person's answers as ordinals, null as above"),
)

