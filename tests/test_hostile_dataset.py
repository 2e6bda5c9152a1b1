"""Hostile user, part 4: ``usi dataset build`` with bad arguments and bad surroundings.

A shard size that is not a positive finite number of bytes, a card template that is not
UTF-8 text or not YAML, a read-only parent folder: one line each, nothing written. A release
without simulator files builds a repo that ``load_dataset`` reads (the empty configs are left
out and the summary says so).
"""

from __future__ import annotations

import os
from pathlib import Path

import datasets
import pytest
import yaml
from hostile import (
    assert_denied,
    mini_release,
    one_line_error,
    snapshot,
    usi,
    without_file_permissions,
)


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    return mini_release(tmp_path)


@pytest.mark.parametrize("mb", ["inf", "-inf", "nan", "1e-7", "0", "-1"])
def test_a_shard_size_that_is_no_size(mini: Path, tmp_path: Path, mb: str) -> None:
    before = snapshot(tmp_path)
    proc = usi("dataset", "build", str(mini), str(tmp_path / "repo"), f"--max-shard-mb={mb}")
    one_line_error(proc, "field --max-shard-mb", "positive finite number", str(float(mb)))
    assert snapshot(tmp_path) == before


TEMPLATES: dict[str, tuple[bytes | None, list[str]]] = {
    "binary": (bytes(range(256)) * 8, ["not UTF-8 text"]),
    "unclosed YAML": (b"---\na: [unclosed\n---\ntext\n", ["bad YAML header"]),
    "a Python tag": (b"---\n!!python/object:os.system x\n---\n", ["bad YAML header"]),
    "a YAML list": (b"---\n- a\n- b\n---\ntext\n", ["bad YAML header"]),
    "an unknown placeholder": (b"---\nlicense: other\n---\n{{nope}}\n",
                               ["unknown placeholder {{nope}}"]),
    "a folder": (None, ["cannot read the dataset card template"]),
}


@pytest.mark.parametrize(("content", "needles"), TEMPLATES.values(), ids=TEMPLATES.keys())
def test_a_card_template_that_is_no_card(mini: Path, tmp_path: Path, content: bytes | None,
                                         needles: list[str]) -> None:
    template = tmp_path / "card.md"
    if content is None:
        template.mkdir()
    else:
        template.write_bytes(content)
    before = snapshot(tmp_path)
    proc = usi("dataset", "build", str(mini), str(tmp_path / "repo"), "--card-template",
               str(template))
    one_line_error(proc, str(template), *needles)
    assert snapshot(tmp_path) == before


def test_a_build_into_a_read_only_parent_names_the_target(mini: Path, tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    os.chmod(parent, 0o555)
    assert_denied(parent, write=True)
    before = snapshot(tmp_path)
    proc = usi("dataset", "build", str(mini), str(parent / "repo"),
               preexec=without_file_permissions)
    err = one_line_error(proc, str(parent / "repo"), "Permission denied")
    assert ".partial" not in err
    assert snapshot(tmp_path) == before


def test_a_build_onto_a_file(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "repo"
    out.write_text("my file", "utf-8")
    before = snapshot(tmp_path)
    one_line_error(usi("dataset", "build", str(mini), str(out), "--overwrite"), str(out),
                   "not a folder")
    assert snapshot(tmp_path) == before


def test_a_build_without_simulators_loads(mini: Path, tmp_path: Path) -> None:
    for folder in ("eval_results", "survey_data"):
        for p in (mini / folder).iterdir():
            p.unlink()
    out = tmp_path / "repo"
    proc = usi("dataset", "build", str(mini), str(out))
    assert proc.returncode == 0, proc.stderr
    assert ("(no simulators rows: the simulators config is left out of the repo, as "
            "load_dataset cannot read an empty one)") in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["LICENSE.md", "README.md", "human",
                                                   "reference"]
    header = (out / "README.md").read_text("utf-8").split("---")[1]
    meta = yaml.safe_load(header)
    assert [c["config_name"] for c in meta["configs"]] == ["human", "reference"]
    infos = meta["dataset_info"]
    assert [i["config_name"] for i in infos] == ["human", "reference"]
    human = datasets.load_dataset(str(out), "human", cache_dir=str(tmp_path / "cache"))
    assert human["test"].num_rows == 9  # the mini release's 3 tasks x 3 annotators
    with pytest.raises(ValueError, match="simulators"):
        datasets.load_dataset(str(out), "simulators", cache_dir=str(tmp_path / "cache"))


def test_the_raw_release_builder_says_a_config_has_no_file(mini: Path, tmp_path: Path) -> None:
    from dataset_builder import TauUSI
    from usi_metric.errors import UsiError

    for p in (mini / "eval_results").iterdir():
        p.unlink()
    builder = TauUSI(config_name="simulators", data_dir=str(mini),
                     cache_dir=str(tmp_path / "cache"))
    with pytest.raises(UsiError, match=r"no file of the simulators config \(eval_results_"):
        builder.download_and_prepare()
