"""Reading files: the release layout, its ids, the one entry validator, sessions.

>>> from usi_metric.io import load_release
>>> from usi_metric.samples import sample_release_dir
>>> load_release(sample_release_dir()).humans.source
'human'

The names below are imported on first use (PEP 562): the layout's constants come without
numpy and the featurizer.
"""

from usi_metric.runtime.lazy import lazy_exports

_EXPORTS = {
    "usi_metric.io.jsonfile": ("read_json",),
    "usi_metric.io.layout": ("HUMAN_EVAL_NAME", "HUMAN_FILE", "MULTI_RUN_THRESHOLD",
                             "SIM_PREFIX", "SURVEY_PREFIX", "find_human_file",
                             "release_files", "simulator_name", "survey_name"),
    "usi_metric.io.release": ("load_humans", "load_release", "load_simulator",
                              "load_simulator_files", "load_survey"),
    "usi_metric.io.sessions": ("Release", "Session", "SessionSet", "SurveySet",
                               "select_simulators"),
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(n for names in _EXPORTS.values() for n in names)
