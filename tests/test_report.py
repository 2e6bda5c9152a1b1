"""``usi report`` on the bundled synthetic sample: files, pictures, and numbers that agree
with ``usi gap --format json`` and ``usi leaderboard --format json``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from usi_metric.aggregation import MeanStd
from usi_metric.cli import main
from usi_metric.report import plots
from usi_metric.report.diagnosis import feature_diagnosis
from usi_metric.report.gap import SURVEY_FIELDS
from usi_metric.report.wording import ratio_words
from usi_metric.samples import sample_release_dir

SAMPLE = sample_release_dir()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert main(["report", "--data-dir", str(SAMPLE), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def gap() -> dict:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["gap", "--data-dir", str(SAMPLE), "--format", "json"]) == 0
    return json.loads(buf.getvalue())


def f(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def test_files_exist_and_pngs_decode(report: Path, gap: dict) -> None:
    names = {p.name for p in report.iterdir()}
    n_sims = len(gap["simulators"])
    assert n_sims >= 2
    expected = {"report.md", "report.html", "leaderboard.png", "radar.png", "calibration.png"}
    expected |= {f"features_{i:02d}.png" for i in range(1, n_sims + 1)}
    assert expected <= names
    md = (report / "report.md").read_text("utf-8")
    page = (report / "report.html").read_text("utf-8")
    for png in sorted(n for n in names if n.endswith(".png")):
        img = mpimg.imread(report / png)
        assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 300, png
        assert img.std() > 0.01, f"{png} is blank"
        assert f"]({png})" in md and f'src="{png}"' in page


def test_report_says_synthetic(report: Path) -> None:
    md = (report / "report.md").read_text("utf-8")
    page = (report / "report.html").read_text("utf-8")
    assert "SYNTHETIC DATA" in md.split("## 1.")[0]  # before the first number
    assert "SYNTHETIC DATA" in page and "None of these numbers are the paper&#x27;s" in page


def test_gap_numbers_in_report_equal_usi_gap_json(report: Path, gap: dict) -> None:
    md = (report / "report.md").read_text("utf-8")
    n_survey = 0
    for s in gap["simulators"]:
        su = s["success"]["shared"]
        line = (f"| {s['name']} | {su['n_tasks']} / {su['n_tasks_human']} | "
                f"{f(su['simulator']['success_pct'], '.1f')} | "
                f"{f(su['human']['success_pct'], '.1f')} | {f(su['inflation_pp'], '+.1f')} | "
                f"{su['simulator']['n_sessions']} / {su['human']['n_sessions']} | "
                f"{f(s['success']['inflation_pp'], '+.1f')} |")
        assert line in md
        if s["survey"] is None:
            continue
        n_survey += 1
        section = md.split(f"#### {s['name']} (")[1].split("\n#")[0]
        assert section.startswith(f"{s['survey']['n_covered']} covered sessions)")
        for field in SURVEY_FIELDS:
            g = s["survey"]["fields"][field]
            row = (f"| {field} | {f(g['sim_mean'], '.3f')} | {f(g['human_mean'], '.3f')} | "
                   f"{f(g['overestimation_pct'], '+.1f')} | {g['n_sim']} / {g['n_human']} |")
            assert row in section
    assert n_survey >= 1
    rj = gap["reward_vs_judgement"]
    for share, part, whole in (("reward0_judged_success", "n_reward0_judged_success",
                                "n_reward0"),
                               ("reward1_judged_failure", "n_reward1_judged_failure",
                                "n_reward1")):
        assert rj[whole] > 0
        assert f"{100 * rj[share]:.1f}% ({rj[part]} of {rj[whole]})" in md


def test_leaderboard_numbers_in_report_equal_usi_leaderboard(
        report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["leaderboard", "--data-dir", str(SAMPLE), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    md = (report / "report.md").read_text("utf-8")
    table = md.split("## 1. Leaderboard")[1].split("\n\n")[1].splitlines()[2:]
    assert [line.split(" | ")[0].lstrip("| ") for line in table] == [r["name"] for r in rows]
    for line, r in zip(table, rows, strict=True):
        usi = r["usi"]
        assert line.endswith(f"| {usi['mean']:.1f}±{usi['std']:.1f} |")
        ece = r["ece"]
        assert f"| {ece['mean']:.3f}±{ece['std']:.3f} |" in line


def test_feature_sentences_use_averaged_rows(report: Path) -> None:
    md = (report / "report.md").read_text("utf-8")
    behaviour = md.split("## 4. Behaviour")[1].split("## 5.")[0]
    assert "averaged over the batches" in behaviour
    sentences = re.findall(r"^- .+ vs .+ for humans: .+$", behaviour, re.M)
    assert sentences and all("×" in s or "humans never do" in s or "the same" in s
                             for s in sentences)


def test_simulator_selection_keeps_leaderboard_scores(
        report: Path, tmp_path: Path, gap: dict) -> None:
    name = gap["simulators"][-1]["name"]
    out = tmp_path / "one"
    assert main(["report", "--data-dir", str(SAMPLE), "--out", str(out),
                 "--simulator", name]) == 0
    one = (out / "report.md").read_text("utf-8")
    full = (report / "report.md").read_text("utf-8")
    row = next(line for line in full.splitlines() if line.startswith(f"| {name} | "))
    assert row in one  # same USI cells: difficulty still pooled over the whole release
    assert not (out / "features_02.png").exists()
    others = [s["name"] for s in gap["simulators"] if s["name"] != name]
    assert all(f"| {o} | " not in one for o in others)


def test_unknown_simulator_fails_cleanly(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--data-dir", str(SAMPLE), "--out", str(tmp_path),
                 "--simulator", "no-such-sim"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usi: error:") and "no-such-sim" in err and "Traceback" not in err


def test_report_without_difficulty_is_quiet_off_a_terminal(
        mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--data-dir", str(mini), "--out", str(tmp_path / "r"),
                 "--difficulty", "self"]) == 0  # pooled over 2 x 2 runs: no task has one
    captured = capsys.readouterr()
    assert captured.err == ""  # no progress bar when stderr is not a terminal
    assert captured.out.startswith("wrote ")
    md = (tmp_path / "r" / "report.md").read_text("utf-8")
    assert "SYNTHETIC" not in md and "0 tasks have one" in md
    s2 = next(line for line in md.splitlines() if line.startswith("| s2 | "))
    assert s2.endswith("| — | — | — |")  # no Eval, no ECE, no USI
    assert mpimg.imread(tmp_path / "r" / "calibration.png").ndim == 3


def test_png_bytes_are_deterministic(tmp_path: Path) -> None:
    def draw(path: Path) -> bytes:
        plots.save_png(plots.leaderboard_figure([("a", MeanStd(70.0, 1.0)), ("b", None)],
                                                MeanStd(90.0, 2.0)), path)
        return path.read_bytes()

    first = draw(tmp_path / "1.png")
    assert first == draw(tmp_path / "2.png")
    assert b"Software" not in first and b"Creation" not in first


def test_ratio_words_by_hand() -> None:
    # the paper's GPT-4o examples: polite 49.0% vs 15.3%, short 1.0% vs 29.0%
    assert ratio_words(49.0, 15.3) == "3.2×"
    assert ratio_words(1.0, 29.0) == "0.03× (29.0× less)"
    import numpy as np

    from usi_metric.features import COLUMNS

    h = np.zeros(len(COLUMNS))
    s = np.zeros(len(COLUMNS))
    h[COLUMNS.index("short_msg_rate")], s[COLUMNS.index("short_msg_rate")] = 29.0, 1.0
    h[COLUMNS.index("politeness_rate")], s[COLUMNS.index("politeness_rate")] = 15.3, 49.0
    d = feature_diagnosis(h, s)
    # Dice: short 2/30 = 0.067 < polite 30.6/64.3 = 0.476, so short comes first
    assert [x.feature for x in d[:2]] == ["short_msg_rate", "politeness_rate"]
    assert d[1].sentence == "polite in 49% of turns vs 15% for humans: 3.2×"
    assert d[0].sentence == ("short (≤ 3 words) in 1.0% of turns vs 29% for humans: "
                             "0.03× (29.0× less)")
    assert d[2].similarity == 1.0
