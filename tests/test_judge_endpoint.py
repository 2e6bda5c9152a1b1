"""``usi survey --endpoint``: a real chat-completions server on 127.0.0.1 (``http.server`` in a
thread), answers recorded exactly as served, retries, timeouts, a killed run, the token."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from judge_fixtures import (
    CODES,
    KEPT,
    SERVED,
    ChatServer,
    served,
    session_code,
    wait_for,
    write_release,
)

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
from usi_metric.cli import main
from usi_metric.judge.prompt import REASK_PROMPT, build_prompt, conversation_turns, render_turns

TESTS = Path(__file__).resolve().parent
DATE = "2026-03-14"
SECRET = "hf_test_SeCrEt_0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.startswith("HF_") or var in ("OPENAI_API_KEY", "USI_SURVEY_DATE") or \
                "proxy" in var.lower():
            monkeypatch.delenv(var)


@pytest.fixture()
def release(tmp_path: Path) -> Path:
    return write_release(tmp_path / "rel")


def survey(release: Path, url: str, out: Path, *extra: str) -> int:
    return main(["survey", "--data-dir", str(release), "--model", "judge-7b", "--endpoint",
                 url, "--out", str(out), "--date", DATE, "--backoff", "0.01", *extra])


def env_for_child() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HF_") and k != "OPENAI_API_KEY" and "proxy" not in k.lower()}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    return env


def usi_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from usi_metric.cli import main; "
            "sys.exit(main(sys.argv[1:]))", *args]


def read(p: Path) -> Any:
    return json.loads(p.read_text(encoding="utf-8"))


def test_answers_are_recorded_exactly_as_served(release: Path, tmp_path: Path) -> None:
    out = tmp_path / "survey_comparable_judge.json"
    with ChatServer(served) as srv:
        assert survey(release, srv.url, out) == 0
    data = read(out)
    assert list(data) == KEPT
    for iid in KEPT:
        replies = SERVED[CODES[iid]]
        if iid == "retail_1":  # unreadable twice: stored unanswered
            want: dict[str, Any] = {}
        else:
            last = replies[-1]
            want = json.loads(last[last.index("{"):last.rindex("}") + 1])
        got = {f: qa["answer"] for f, qa in data[iid]["survey"].items()}
        assert got == {f: want.get(f) for f in SURVEY_FIELDS}, iid
    # invalid options exactly as given: a lowercase yes, a leading blank, a number, ...
    assert data["airline_2"]["survey"]["human_like"]["answer"] == "yes"
    assert data["airline_2"]["survey"]["reuse"]["answer"] == " Maybe"
    assert data["airline_10_ann2"]["survey"]["overall_score"]["answer"] == 4
    assert data["airline_2"]["survey"]["answer_effort_time"]["answer"] is None  # left out
    # one request per session, two for the unreadable ones (one re-ask, not more)
    assert srv.counts == {CODES[i]: 2 if i in ("retail_1", "airline_2_ann2") else 1
                          for i in KEPT}
    path, headers, body = srv.requests[0]
    assert path == "/v1/chat/completions"
    assert body["model"] == "judge-7b" and body["temperature"] == 0.0
    assert body["response_format"] == {"type": "json_object"}
    assert "max_tokens" not in body
    assert headers["authorization"] == "Bearer EMPTY"  # no token: never a saved one
    code = session_code(body)
    iid = next(i for i, c in CODES.items() if c == code)
    entry = read(release / "data" / "tau_bench_tasks_unified.json")[iid]
    assert body["messages"] == [{"role": "user", "content": build_prompt(
        render_turns(conversation_turns(entry["conversation"])))}]
    reask = next(b for _, _, b in srv.requests if len(b["messages"]) == 3)
    assert reask["messages"][1] == {"role": "assistant",
                                    "content": SERVED[session_code(reask)][0]}
    assert reask["messages"][2] == {"role": "user", "content": REASK_PROMPT}
    meta = read(tmp_path / "survey_comparable_judge.meta.json")
    assert meta["answers"] == {"valid": 32, "not_an_option": 6, "unanswered": 10,
                               "sessions_reasked": 2, "sessions_unreadable": 1}
    assert (meta["backend"], meta["endpoint"], meta["model"]) == ("endpoint", srv.url,
                                                                  "judge-7b")
    assert meta["decoding"]["response_format"] == {"type": "json_object"}
    assert meta["truncation"]["sessions_cut"] == 0


def test_429_and_5xx_are_retried(release: Path, tmp_path: Path) -> None:
    failures = {"K7PQ2M": [{"status": 429, "headers": {"Retry-After": "0"}}],
                "ZX81LT": [{"status": 500}],
                "T9WC1E": [{"status": 503}, {"status": 502}]}

    def script(body: dict[str, Any], n: int) -> dict[str, Any]:
        before = failures.get(session_code(body), [])
        return before[n - 1] if n <= len(before) else served(body, n - len(before))

    out = tmp_path / "survey_comparable_judge.json"
    with ChatServer(script) as srv:
        assert survey(release, srv.url, out, "--concurrency", "2") == 0
    assert srv.counts["K7PQ2M"] == 2 and srv.counts["ZX81LT"] == 2
    assert srv.counts["T9WC1E"] == 3
    with ChatServer(served) as srv:
        assert survey(release, srv.url, tmp_path / "plain.json") == 0
    assert read(out) == read(tmp_path / "plain.json")


def test_a_server_that_never_answers_is_a_clear_timeout(release: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does), never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        out = tmp_path / "survey_comparable_judge.json"
        code = survey(release, url, out, "--timeout", "0.3", "--retries", "2",
                      "--concurrency", "1")
    assert code == 2
    assert capsys.readouterr().err == (f"usi: error: no answer from {url} after 3 tries "
                                       "(last: timed out after 0.3 s)\n")
    assert [p.name for p in tmp_path.iterdir()] == ["rel"]  # no file, no empty journal


def test_an_unreachable_server_is_one_line(release: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    url = f"http://127.0.0.1:{port}/v1"
    assert survey(release, url, tmp_path / "s.json", "--retries", "1") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usi: error: no answer from {url} after 2 tries (last: cannot "
                          "connect") and err.count("\n") == 1


def test_a_refused_response_format_is_dropped(release: Path, tmp_path: Path) -> None:
    def script(body: dict[str, Any], n: int) -> dict[str, Any]:
        if "response_format" in body:
            return {"status": 400}
        return served(body, sum(1 for _, _, b in srv.requests
                                if session_code(b) == session_code(body)
                                and "response_format" not in b))

    out = tmp_path / "survey_comparable_judge.json"
    with ChatServer(script) as srv:
        assert survey(release, srv.url, out, "--concurrency", "1") == 0
    assert read(out)["airline_10"]["survey"]["reuse"]["answer"] == "Absolutely yes"
    assert read(tmp_path / "survey_comparable_judge.meta.json")["decoding"][
        "response_format"] is None
    assert sum(1 for _, _, b in srv.requests if "response_format" in b) == 1


def test_concurrency_is_bounded(release: Path, tmp_path: Path) -> None:
    import threading

    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def script(body: dict[str, Any], n: int) -> dict[str, Any]:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        threading.Event().wait(0.1)
        with lock:
            state["now"] -= 1
        return served(body, n)

    with ChatServer(script) as srv:
        assert survey(release, srv.url, tmp_path / "s.json", "--concurrency", "2") == 0
    assert 1 <= state["max"] <= 2


def test_the_token_is_sent_but_never_printed_or_written(release: Path, tmp_path: Path
                                                         ) -> None:
    out = tmp_path / "out" / "survey_comparable_judge.json"
    env = env_for_child() | {"HF_TOKEN": SECRET}
    with ChatServer(served) as srv:
        proc = subprocess.run(usi_command("survey", "--data-dir", str(release), "--model",
                                          "judge-7b", "--endpoint", srv.url, "--out",
                                          str(out), "--date", DATE),
                              env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert {h["authorization"] for _, h, _ in srv.requests} == {f"Bearer {SECRET}"}
    assert "Eval of survey_comparable_judge.json against the humans: 65.8" in proc.stdout
    written = [p.read_text() for p in out.parent.iterdir()]
    assert len(written) == 3  # the file, its .meta.json and its journal
    for text in [proc.stdout, proc.stderr, *written]:
        assert SECRET not in text

    # errors too: a server refusing the token, one echoing it back in its error body
    def refuse(body: dict[str, Any], n: int) -> dict[str, Any]:
        return {"status": 401}

    with ChatServer(refuse) as srv:
        proc = subprocess.run(usi_command("survey", "--data-dir", str(release), "--model",
                                          "m", "--endpoint", srv.url, "--out",
                                          str(tmp_path / "r.json")),
                              env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr == (f"usi: error: {srv.url} refused the request (HTTP 401): check the "
                           "token in HF_TOKEN / OPENAI_API_KEY\n")


def test_an_error_body_echoing_the_token_is_redacted(release: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with ChatServer(lambda body, n: {"status": 418, "echo_auth": True}) as srv:
        assert survey(release, srv.url, tmp_path / "s.json") == 2
    err = capsys.readouterr().err
    assert SECRET not in err
    assert err == (f"usi: error: HTTP 418 from {srv.url}: "
                   '{"error": {"message": "bad key Bearer ***"}}\n')


def test_a_killed_run_resumes_and_skips_what_is_done(release: Path, tmp_path: Path) -> None:
    slow = {"delay": 0.0}

    def script(body: dict[str, Any], n: int) -> dict[str, Any]:
        return {**served(body, n), "delay": slow["delay"]}

    ref = tmp_path / "ref" / "survey_comparable_judge.json"
    out = tmp_path / "run" / "survey_comparable_judge.json"
    journal = out.with_name("survey_comparable_judge.journal.jsonl")
    with ChatServer(script) as srv:
        assert survey(release, srv.url, ref) == 0
        slow["delay"] = 0.3
        srv.counts.clear()
        proc = subprocess.Popen(usi_command("survey", "--data-dir", str(release), "--model",
                                            "judge-7b", "--endpoint", srv.url, "--out",
                                            str(out), "--date", DATE, "--concurrency", "1"),
                                env=env_for_child(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: journal.exists() and len(journal.read_text().splitlines()) >= 3)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert not out.exists()
        done = [json.loads(line)["id"] for line in journal.read_text().splitlines()[1:]]
        assert len(done) >= 2 and done == KEPT[:len(done)]
        slow["delay"] = 0.0
        srv.counts.clear()  # the script starts over for every session (re-asks included)
        n = len(srv.requests)
        assert survey(release, srv.url, out, "--concurrency", "1") == 0
        asked = {session_code(b) for _, _, b in srv.requests[n:]}
    assert asked == {CODES[i] for i in KEPT if i not in done}  # done is not asked again
    for name in ("survey_comparable_judge.json", "survey_comparable_judge.meta.json"):
        assert out.with_name(name).read_bytes() == ref.with_name(name).read_bytes()


def test_other_settings_do_not_resume_a_journal(release: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "survey_comparable_judge.json"
    with ChatServer(served) as srv:
        assert survey(release, srv.url, out, "--limit", "2") == 0
        assert list(read(out)) == KEPT[:2]
        assert survey(release, srv.url, out, "--temperature", "0.5") == 2
        err = capsys.readouterr().err
        assert err.endswith("journal.jsonl: written with other settings (changed: "
                            "temperature): pass --overwrite to start over, or the same "
                            "settings to resume\n")
        n = len(srv.requests)
        assert survey(release, srv.url, out) == 0  # same settings: resumes, a larger set
        assert len(srv.requests) == n + len(KEPT) - 2 + 2  # 2 re-asks among the new ones
        assert list(read(out)) == KEPT
        assert survey(release, srv.url, out, "--temperature", "0.5", "--overwrite") == 0
    assert read(tmp_path / "survey_comparable_judge.meta.json")["temperature"] == 0.5


def test_an_error_with_requests_in_flight_keeps_every_answer_back(
        release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def script(body: dict[str, Any], n: int) -> dict[str, Any]:
        if session_code(body) == CODES["airline_2"]:
            return {"status": 403}
        return {**served(body, n), "delay": 0.05}

    ref = tmp_path / "ref" / "survey_comparable_judge.json"
    out = tmp_path / "run" / "survey_comparable_judge.json"
    journal = out.with_name("survey_comparable_judge.journal.jsonl")
    with ChatServer(served) as srv:
        assert survey(release, srv.url, ref) == 0
    with ChatServer(script) as srv:
        assert survey(release, srv.url, out, "--concurrency", "3") == 2
    assert "refused the request (HTTP 403)" in capsys.readouterr().err
    assert not out.exists()
    lines = journal.read_text().splitlines()[1:] if journal.exists() else []
    done = [json.loads(line)["id"] for line in lines]
    answered = {i for i in KEPT if any(session_code(b) == CODES[i] for _, _, b in srv.requests)}
    assert set(done) <= answered - {"airline_2"}  # what came back is kept, nothing invented
    with ChatServer(served) as srv:
        assert survey(release, srv.url, out, "--concurrency", "3") == 0
        assert {session_code(b) for _, _, b in srv.requests} == {
            CODES[i] for i in KEPT if i not in done}
    assert out.read_bytes() == ref.read_bytes()


def test_the_progress_bar_counts_to_the_end(release: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from usi_metric.judge.endpoint import EndpointJudge
    from usi_metric.judge.run import run_survey

    with ChatServer(served) as srv:
        result = run_survey(release, tmp_path / "s.json",
                            lambda: EndpointJudge(srv.url, "judge-7b"), limit=4,
                            progress=True)
    err = capsys.readouterr().err
    assert "surveying" in err and "4/4" in err
    assert (result.n_new, result.n_resumed, result.n_covered) == (4, 0, 4)
