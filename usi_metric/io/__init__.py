"""Reading files: the release layout, its ids, the one entry validator, sessions.

>>> from usi_metric.samples import sample_release_dir
>>> load_release(sample_release_dir()).humans.source
'human'
"""

from usi_metric.io.jsonfile import read_json
from usi_metric.io.layout import (
    HUMAN_EVAL_NAME,
    HUMAN_FILE,
    MULTI_RUN_THRESHOLD,
    SIM_PREFIX,
    SURVEY_PREFIX,
    find_human_file,
    release_files,
    simulator_name,
    survey_name,
)
from usi_metric.io.release import (
    load_humans,
    load_release,
    load_simulator,
    load_simulator_files,
    load_survey,
)
from usi_metric.io.sessions import Release, Session, SessionSet, SurveySet, select_simulators

__all__ = [
    "HUMAN_EVAL_NAME",
    "HUMAN_FILE",
    "MULTI_RUN_THRESHOLD",
    "SIM_PREFIX",
    "SURVEY_PREFIX",
    "Release",
    "Session",
    "SessionSet",
    "SurveySet",
    "find_human_file",
    "load_humans",
    "load_release",
    "load_simulator",
    "load_simulator_files",
    "load_survey",
    "read_json",
    "select_simulators",
    "release_files",
    "simulator_name",
    "survey_name",
]
