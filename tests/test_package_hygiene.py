"""What a packager and a type checker expect: the license file the metadata names, the
PEP 561 marker, and cards that state the defaults the code has."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_license_file_is_the_license_pyproject_names() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert meta["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text


def test_the_package_is_marked_typed_and_ships_the_marker() -> None:
    assert resources.files("usi_metric").joinpath("py.typed").is_file()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "py.typed" in meta["tool"]["setuptools"]["package-data"]["usi_metric"]


def test_the_metric_card_states_the_published_default() -> None:
    card = (ROOT / "usi_metric" / "hf" / "evaluate_module" / "README.md").read_text("utf-8")
    entry = card[card.index("- **difficulty**"):].split("\n- **", 1)[0]
    assert '"published"' in entry and "Without it" in entry
    assert "pooled over the given runs, which" not in card  # the old, wrong default
