"""The file layout of a release (``cmu-lti/tau-usi``): names and where files are found.

>>> simulator_name("eval_results/eval_results_gpt-5.1.json")
'gpt-5.1'
"""

from __future__ import annotations

import filecmp
import os
import unicodedata
import warnings
from pathlib import Path

from usi_metric.errors import UsiError, UsiWarning

HUMAN_FILE = "tau_bench_tasks_unified.json"
SIM_PREFIX = "eval_results_"
SURVEY_PREFIX = "survey_comparable_"
HUMAN_EVAL_NAME = "human-eval-100"
# The label of the human row (the inter-annotator ceiling) in every table; no simulator
# may be shown under it (``check_simulator_name``).
HUMAN_ROW_NAME = "Human (inter-ann.)"
# A simulator file with more entries than this holds several runs (ids suffixed _1/_2/_3).
MULTI_RUN_THRESHOLD = 170
# Sidecar files beside a data file (``usi survey`` metadata), never read as data.
META_SUFFIX = ".meta.json"
# The Hub dataset of the paper's release.
REPO_ID = "cmu-lti/tau-usi"
# The file of its ``reference`` config (``usi dataset build`` writes it): a human reference.
REFERENCE_CONFIG_FILE = "reference/test-00000-of-00001.parquet"


def simulator_name(path: str | Path) -> str:
    """Simulator name from a file name: ``eval_results_gpt-5.json`` -> ``gpt-5``.

    >>> simulator_name("eval_results/eval_results_gpt-5.1.json")
    'gpt-5.1'
    >>> simulator_name("taubench_gpt-4o_airline.json.gz")
    'taubench_gpt-4o_airline'
    """
    stem = Path(path).name.removesuffix(".gz")
    stem = stem[:-5] if stem.endswith(".json") else stem
    return stem[len(SIM_PREFIX):] if stem.startswith(SIM_PREFIX) else stem


# Letters of other scripts that read as Latin ones (each case as it looks: a capital Greek
# Mu reads as M), and dashes that read as '-': folded before names are compared, so a
# Cyrillic 'Н' in 'Нuman (inter-ann.)' cannot pass for the human row's label.
_LOOK_ALIKE = str.maketrans({
    **dict(zip("АВЕКМНОРСТХУІЈЅ", "ABEKMHOPCTXYIJS", strict=True)),  # Cyrillic capitals
    **dict(zip("аеорсухіјѕһԁԛԝոս", "aeopcyxijshdqwnu", strict=True)),  # Cyrillic, Armenian
    **dict(zip("ΑΒΕΗΙΚΜΝΟΡΤΧΥΖ", "ABEHIKMNOPTXYZ", strict=True)),  # Greek capitals
    **dict(zip("αιονκρτυε", "aiovkptue", strict=True)),  # Greek small
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"),  # dashes and minus
    "\u00ad": "",  # soft hyphen
})


def _row_key(name: str) -> str:
    """A name as a reader tells it apart: compatibility forms folded (NFKC), look-alike
    letters of other scripts and dashes folded (``_LOOK_ALIKE``), case folded, invisible
    characters (format and control characters) dropped, white space runs one.

    >>> _row_key("\u041duman  (INTER\u2011ann.)\u200b")
    'human (inter-ann.)'
    """
    visible = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cf", "Cc", "Cs"))
    folded = unicodedata.normalize("NFKC", visible).translate(_LOOK_ALIKE)
    return " ".join(folded.split()).casefold()


def check_simulator_name(name: str, file: str | None = None) -> str:
    r"""``name`` when a reader can tell its row from the human row; else a one-line
    :class:`UsiError` (the two rows of a table, a report or the Space would read the same,
    and a simulator could pass for the inter-annotator ceiling).

    >>> check_simulator_name("gpt-4o")
    'gpt-4o'
    >>> check_simulator_name("human  (Inter-Ann.)\u200b", "eval_results/x.json")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: eval_results/x.json: the simulator's name ... reads as the
    human row's ('Human (inter-ann.)'), so the two rows could not be told apart: ...
    """
    if _row_key(name) == _row_key(HUMAN_ROW_NAME):
        how = "is" if name == HUMAN_ROW_NAME else f"{name!r} reads as"
        raise UsiError(f"the simulator's name {how} the human row's ({HUMAN_ROW_NAME!r}), "
                       "so the two rows could not be told apart: rename the file or give the "
                       "simulator another name", file=file)
    return name


def survey_name(path: str | Path) -> str:
    """Simulator name of a survey file: ``survey_comparable_gpt-5.json`` -> ``gpt-5``.

    >>> survey_name("survey_data/survey_comparable_human-eval-100.json")
    'human-eval-100'
    """
    return Path(path).name.removesuffix(".gz").removesuffix(".json").removeprefix(SURVEY_PREFIX)


def find_human_file(data_dir: str | Path) -> Path:
    """``<dir>/data/tau_bench_tasks_unified.json`` (the release's place, the one the paper's
    scorer reads) or else ``<dir>/tau_bench_tasks_unified.json``."""
    root = Path(data_dir)
    if not readable_folder(root):
        raise UsiError("not a folder", file=str(root))
    for folder in (root / "data", root):
        if readable_folder(folder) and (folder / HUMAN_FILE).is_file():
            return folder / HUMAN_FILE
    raise UsiError(f"no {HUMAN_FILE} here or in data/: not a tau-usi release folder",
                   file=str(root))


def readable_folder(folder: Path) -> bool:
    """True for a folder that can be listed, False when there is none; a folder that is
    there but cannot be read is a :class:`UsiError` (never a silently empty release).

    >>> readable_folder(Path("/nonexistent/eval_results"))
    False
    """
    try:
        if not folder.is_dir():
            return False
        with os.scandir(folder):
            return True
    except OSError as exc:
        raise UsiError(f"cannot read the folder ({exc.strerror or exc})",
                       file=str(folder)) from None


def _check_name(path: Path) -> None:
    """A file name must be text: the simulator's name is taken from it."""
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        raise UsiError("the file name is not UTF-8 text; rename the file",
                       file=os.fsencode(path).decode("utf-8", "backslashreplace")) from None


def _find(root: Path, sub: str, prefix: str) -> list[Path]:
    """Files ``prefix*.json`` (or gzip'd, ``prefix*.json.gz``) in ``root/sub``, ``root`` and
    ``root/data``; first place wins. A ``*.meta.json`` file is a sidecar (``usi survey``'s
    metadata), not data: skipped. ``x.json`` beside ``x.json.gz`` is an error (which one?)."""
    found: dict[str, Path] = {}
    for folder in (root / sub, root, root / "data"):
        if readable_folder(folder):
            here: dict[str, Path] = {}
            for p in sorted([*folder.glob(f"{prefix}*.json"), *folder.glob(f"{prefix}*.json.gz")]):
                _check_name(p)
                key = p.name.removesuffix(".gz")
                if key.endswith(META_SUFFIX):
                    continue
                if key in here:
                    raise UsiError(f"both {here[key].name} and {p.name} are here: keep one",
                                   file=str(folder))
                here[key] = p
            for key, p in here.items():
                found.setdefault(key, p)
    return [found[k] for k in sorted(found)]


def release_root(data_dir: str | Path) -> Path:
    """The release folder: ``data_dir`` itself, or its parent when ``data_dir`` is the
    release's ``data/`` subfolder (the human file is there and the parent holds
    ``eval_results/`` or ``survey_data/``), so that no part of the release is lost.

    >>> release_root("/nonexistent/rel/data")
    PosixPath('/nonexistent/rel/data')
    """
    root = Path(data_dir)
    parent = root.resolve().parent
    if (root.name == "data" and (root / HUMAN_FILE).is_file()
            and (parent / "data" / HUMAN_FILE).is_file()
            and any((parent / sub).is_dir() for sub in ("eval_results", "survey_data"))):
        return root.parent
    return root


def release_files(data_dir: str | Path) -> tuple[Path, list[Path], list[Path]]:
    """``(human file, simulator files, survey files)`` of a release folder, sorted. What the
    layout leaves out or chooses (:func:`layout_notes`) is said, one ``UsiWarning`` each."""
    root = release_root(data_dir)
    found = (find_human_file(root), _find(root, "eval_results", SIM_PREFIX),
             _find(root, "survey_data", SURVEY_PREFIX))
    for note in layout_notes(root):
        warnings.warn(note, UsiWarning, stacklevel=2)
    return found


# What a release's files are left without when a folder of the layout cannot be read.
FOLDER_COST = {"eval_results": "no simulator file is read from it",
               "survey_data": "no survey file is read from it, so no row has an Eval "
                              "unless its survey file lies in the release folder itself"}


def layout_notes(data_dir: str | Path) -> list[str]:
    """What reading the release folder leaves out or chooses without a word otherwise: an
    ``eval_results``/``survey_data`` that is a plain file or a dangling link, and a human
    file both in the folder and in its ``data/`` with different content (``data/``'s is
    used, as the paper's scorer does).

    >>> layout_notes("/nonexistent")
    []
    """
    root = Path(data_dir)
    notes = []
    for sub, cost in FOLDER_COST.items():
        p = root / sub
        if p.is_symlink() and not p.exists():
            notes.append(f"{p} is a dangling link (to {os.readlink(p)}): {cost}")
        elif p.exists() and not p.is_dir():
            notes.append(f"{p} is not a folder: {cost}")
    top, inner = root / HUMAN_FILE, root / "data" / HUMAN_FILE
    try:
        differ = top.is_file() and inner.is_file() and not filecmp.cmp(top, inner,
                                                                       shallow=False)
    except OSError:  # unreadable: its reader says so
        differ = False
    if differ:
        notes.append(f"{root}: both {inner} and {top} are here and their contents differ: "
                     f"{inner} is used, as the paper's scorer does (remove or rename the "
                     "other)")
    return notes


def release_inputs(data_dir: str | Path) -> list[Path]:
    """Every file a command reads from a release folder (the human file, simulator and
    survey files): what no output may replace (``runtime.output.refuse_own_input``).

    >>> release_inputs("/nonexistent")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: /nonexistent: not a folder
    """
    human, sims, surveys = release_files(data_dir)
    return [human, *sims, *surveys]
