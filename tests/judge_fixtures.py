"""Test material of ``usi survey``: a mini release, a tiny model, a chat-completions server.

- ``write_release(root)``: 8 human sessions, 6 kept (ids whose string and numeric order
  differ: ``airline_10`` < ``airline_2``), with meta messages, agent markup and tool messages
  in the conversations, and surveys full of "no answer". Every session names one booking
  code (``CODES``) so a test server can tell which session a prompt is about.
- ``build_tiny_model(folder, max_positions)``: a 2-layer Llama with hidden size 32 and
  random weights (seeded), a WordLevel tokenizer trained on the fly on the prompt, the
  options and the conversations, wrapped in ``PreTrainedTokenizerFast`` with a chat template.
- ``ChatServer``: ``http.server`` on 127.0.0.1 speaking ``POST /v1/chat/completions``; a
  script decides each reply (content, HTTP status, delay) and every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# ----------------------------------------------------------------------------- release

CODES = {
    "airline_10": "K7PQ2M",
    "airline_2": "ZX81LT",
    "retail_1": "W2817456",
    "airline_10_ann2": "H3JD9R",
    "airline_2_ann2": "B4NV6S",
    "airline_10_ann3": "T9WC1E",
    "airline_2_ann3": "Q2LE7F",   # keep null: not kept
    "retail_1_ann3": "M5RA8U",    # keep false: not kept
}
KEPT = sorted(i for i in CODES if i not in ("airline_2_ann3", "retail_1_ann3"))


def _msg(role: str, content: str | None) -> dict[str, Any]:
    return {"role": role, "content": content}


def _airline(code: str, city: str, when: str, ask: str) -> list[dict[str, Any]]:
    return [
        _msg("user", "\\tau task 3 of 5: you are a traveller"),
        _msg("assistant", "Hello! How can I help you with your trip today?"),
        _msg("user", f"hi i need to {ask} for booking {code}"),
        _msg("assistant", "<|think|>look it up first<|/think|>Sure, let me pull up "
                          f"reservation {code}.<function=get_reservation_details>"
                          f'{{"reservation_id": "{code}"}}</function>'),
        _msg("tool", f'{{"reservation_id": "{code}", "origin": "JFK", "destination": '
                     f'"{city}"}}'),
        _msg("assistant", f"I found your flight to {city} on {when}. Which new date works "
                          "for you, and do you want to keep the same cabin?"),
        _msg("user", "the 14th if possible — same cabin please"),
        _msg("assistant", "Done: you are on the 14th, no fee charged. Anything else?"),
        _msg("user", "<|survey|>"),
        _msg("user", "  /stop  "),
    ]


def _retail(order: str) -> list[dict[str, Any]]:
    return [
        _msg("assistant", "Hi, this is the store assistant. What can I do for you?"),
        _msg("user", f"My desk lamp from order #{order} arrived broken, I want to return it"),
        _msg("assistant", "I'm sorry about that. Can you confirm your zip code?"),
        _msg("user", "02139"),
        _msg("assistant", "<function=return_delivered_order_items>{}</function>"),
        _msg("assistant", "The return is started; a label is on its way to your email."),
        _msg("user", "ok thanks"),
        _msg("user", "\\reward 1.0"),
    ]


def long_conversation(code: str, n_rounds: int) -> list[dict[str, Any]]:
    """A long airline session: ``2 + 2 * n_rounds`` turns, none repeated."""
    cities = ["Boston", "Denver", "Austin", "Miami", "Seattle", "Phoenix", "Atlanta",
              "Chicago", "Dallas", "Orlando", "Portland", "Detroit"]
    conv = [_msg("assistant", "Hello! How can I help you with your trip today?"),
            _msg("user", f"i want to rebook {code} somewhere warmer")]
    for i in range(n_rounds):
        city = cities[i % len(cities)]
        conv.append(_msg("assistant", f"Option {i + 1}: a flight to {city} leaving at "
                                      f"{6 + i % 12}:15 for {120 + 7 * i} dollars more."))
        conv.append(_msg("user", f"hmm {city} number {i + 1} is not what i had in mind, "
                                 f"what else is there after {6 + i % 12} o'clock"))
    return conv


def _survey(**answers: str) -> dict[str, Any]:
    return {k: {"answer": v} for k, v in answers.items()}


def _entry(iid: str, conv: list[dict[str, Any]], reward: float, survey: dict[str, Any],
           keep: bool | None = True) -> dict[str, Any]:
    return {"instance_id": iid, "agent_id": "gpt-4o-agent", "conversation": conv,
            "reward": reward, "keep": keep, "survey": survey}


# The humans' own answers (valid options, "no answer" strings and missing fields).
HUMAN_SURVEYS: dict[str, dict[str, Any]] = {
    "airline_10": _survey(task_success="Yes - Task completed", efficiency="About right",
                          question_amount_preference="About right", answer_effort_time="Low",
                          human_like="Partially", interaction_flow="Smooth",
                          overall_score="4 (Good)", reuse="Yes"),
    "airline_2": _survey(task_success="Partially - Some progress", efficiency="no answer",
                         human_like="No", interaction_flow="no answer",
                         overall_score="2 (Poor)", reuse="Maybe"),
    "retail_1": _survey(task_success="Fully - Exceeded expectations",
                        efficiency="Very efficient", answer_effort_time="no answer",
                        reuse="Absolutely yes"),
    "airline_10_ann2": _survey(task_success="No - Task failed",
                               question_amount_preference="Too many",
                               answer_effort_time="High", human_like="No",
                               overall_score="1 (Very poor)", reuse="Absolutely no"),
    "airline_2_ann2": {},
    "airline_10_ann3": _survey(efficiency="Somewhat inefficient", human_like="Yes",
                               interaction_flow="OK", overall_score="no answer"),
    "airline_2_ann3": _survey(human_like="Yes"),
    "retail_1_ann3": _survey(task_success="Yes - Task completed"),
}


def human_file() -> dict[str, Any]:
    data: dict[str, Any] = {}
    for iid, code in CODES.items():
        if iid.startswith("retail"):
            conv = _retail(code)
        elif iid == "airline_10_ann2":
            conv = long_conversation(code, 30)
        else:
            city = {"airline_10": "Denver", "airline_2": "Miami", "airline_10_ann3": "Austin",
                    "airline_2_ann2": "Seattle", "airline_2_ann3": "Boston"}[iid]
            ask = "change the date" if iid.startswith("airline_10") else "add a checked bag"
            conv = _airline(code, city, "May 3", ask)
        keep = {"airline_2_ann3": None, "retail_1_ann3": False}.get(iid, True)
        data[iid] = _entry(iid, conv, 1.0 if "10" in iid else 0.0, HUMAN_SURVEYS[iid], keep)
    return data


def write_release(root: Path) -> Path:
    """The mini release in ``root`` (``data/`` layout); returns ``root``."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "tau_bench_tasks_unified.json").write_text(
        json.dumps(human_file(), indent=1), encoding="utf-8")
    return root


# ----------------------------------------------------------------------------- tiny model

CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|> "
                 "{% endfor %}{% if add_generation_prompt %}<|assistant|> {% endif %}")


def build_tiny_model(folder: Path, max_positions: int = 1024) -> Path:
    """A random-weight 2-layer Llama (hidden 32) and a WordLevel tokenizer, saved to
    ``folder``. Built from a config: nothing is downloaded."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from usi_metric.aggregation.eval_agree import SURVEY_SCALES
    from usi_metric.judge.prompt import PROMPT_TEMPLATE, answer_prefix, conversation_turns

    corpus = [PROMPT_TEMPLATE]
    for field, scale in SURVEY_SCALES.items():
        corpus += [answer_prefix(field) + option + '"' for option in scale]
    for entry in human_file().values():
        corpus += [text for _, text in conversation_turns(entry["conversation"])]
    corpus.append("[... turns turn omitted to fit the model's context ...] Agent : User :")
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    specials = ["[UNK]", "[PAD]", "<|user|>", "<|assistant|>", "<|end|>"]
    tok.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=specials))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]",
                                   pad_token="[PAD]", eos_token="<|end|>",
                                   model_max_length=max_positions)
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(folder)
    torch.manual_seed(1234)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=max_positions, pad_token_id=1)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


# ----------------------------------------------------------------------------- server

# {"content": str} | {"status": int, "headers": {...}, "echo_auth": bool}, + "delay" (s)
Reply = dict[str, Any]


def completion(content: str | None, model: str = "judge") -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1767225600,
            "model": model, "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant",
                                                     "content": content}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


class ChatServer:
    """A chat-completions server on 127.0.0.1 in a thread; ``script(request_body, n)`` gives
    the reply of the n-th request (1-based) about a session. ``requests`` records
    ``(path, headers, body)``."""

    def __init__(self, script: Callable[[dict[str, Any], int], Reply]) -> None:
        self.script = script
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = session_code(body)
                with server.lock:
                    server.requests.append((self.path, dict(self.headers), body))
                    server.counts[key] = server.counts.get(key, 0) + 1
                    n = server.counts[key]
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": "not found"})
                    return
                reply = server.script(body, n)
                if reply.get("delay"):
                    server.stop.wait(reply["delay"])
                if "status" in reply:
                    error = {"message": "try later"}
                    if reply.get("echo_auth"):  # a careless server: the key in its error
                        error = {"message": f"bad key {self.headers['authorization']}"}
                    self._send(reply["status"], {"error": error}, reply.get("headers", {}))
                    return
                self._send(200, completion(reply["content"], body.get("model", "")))

            def _send(self, status: int, data: Any, headers: dict[str, str] | None = None
                      ) -> None:
                raw = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def session_code(body: dict[str, Any]) -> str:
    """The booking code named in the first message of a request (which session it is)."""
    text = body.get("messages", [{}])[0].get("content", "")
    for code in CODES.values():
        if code in text:
            return code
    return "?"


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll until ``predicate()`` (a helper for killing a run mid-way; not a timing assert)."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


# ----------------------------------------------------------------------------- served answers

def _json(**answers: Any) -> str:
    return json.dumps(answers)


# What the test server answers about each session, request after request (the last one
# repeats). Invalid options, a number, a fenced block, missing fields and unreadable replies.
SERVED: dict[str, list[str]] = {
    "K7PQ2M": [_json(task_success="Yes - Task completed", efficiency="Very efficient",
                     question_amount_preference="About right", answer_effort_time="Medium",
                     human_like="Yes", interaction_flow="Excellent",
                     overall_score="5 (Excellent)", reuse="Absolutely yes")],
    "ZX81LT": [_json(task_success="Partially", efficiency="About right", human_like="yes",
                     interaction_flow="Smooth", overall_score="3 (Acceptable)",
                     reuse=" Maybe")],
    "W2817456": ["I'd say the agent handled the return fine.",
                 "Honestly it was fine, nothing to add."],
    "H3JD9R": ["Here are my answers:\n```json\n" + _json(
        task_success="No - Task failed", efficiency="Somewhat inefficient",
        question_amount_preference="A bit too many", answer_effort_time="Low",
        human_like="Partially", interaction_flow="Not smooth", overall_score=4,
        reuse="No") + "\n```"],
    "B4NV6S": ["Sure, happy to help with the survey!",
               _json(task_success="Yes - Task completed", efficiency="About right",
                     question_amount_preference="About right", answer_effort_time="Medium",
                     human_like="Partially", interaction_flow="OK",
                     overall_score="3 (Acceptable)", reuse="Maybe")],
    "T9WC1E": [_json(task_success="Yes - Task completed",
                     efficiency="Very inefficient - Too many steps",
                     question_amount_preference="Too few", answer_effort_time="Medium",
                     human_like="Yes", interaction_flow="Not smooth", overall_score="Good",
                     reuse="Yes")],
}


def served(body: dict[str, Any], n: int) -> Reply:
    """The ``SERVED`` reply of the n-th request about a session."""
    replies = SERVED[session_code(body)]
    return {"content": replies[min(n, len(replies)) - 1]}
