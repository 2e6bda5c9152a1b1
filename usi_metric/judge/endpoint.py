"""Any OpenAI-compatible chat-completions server as the judge (vLLM, TGI, HF Inference
Endpoints, OpenAI, ...), through ``huggingface_hub.InferenceClient``.

One request per session: the prompt as one user message, ``response_format`` ``{"type":
"json_object"}`` (dropped for the rest of the run when the server refuses it with HTTP
400/422), the decoding settings given (``temperature`` 0 unless told; ``max_tokens`` only when
given). The reply is read by :func:`~usi_metric.judge.prompt.parse_answers`; each answer is
stored EXACTLY as given, an option or not (the scorer's seeded fill then applies). A reply
with no readable JSON object gets one re-ask (:data:`~usi_metric.judge.prompt.REASK_PROMPT`,
after the reply); if that one is unreadable too, the session is stored unanswered.

Failures: HTTP 408/409/425/429/5xx, timeouts and connection errors are retried with
exponential backoff (``backoff`` × 2^(try−1) seconds, at most 60, or the server's
``Retry-After`` when longer), up to ``retries`` more tries; then the run stops with "no answer
from URL after N tries". Any other HTTP error stops the run at once, in one line.

The token comes from ``HF_TOKEN``, else ``OPENAI_API_KEY`` (or the variable ``--token-env``
names); it is never printed or written. Without one, the literal ``EMPTY`` is sent (the
convention of local servers), never a token saved by ``hf auth login``.

Prompt sizes are not known in tokens here: ``--max-prompt-tokens`` (no cut by default; the
server knows its context) is compared with an estimate, one token per 4 characters.

>>> estimate_tokens("x" * 9)
3
>>> resolve_token({"OPENAI_API_KEY": "sk-1", "HF_TOKEN": ""})
'sk-1'
"""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Mapping
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.judge.base import JudgeAnswer
from usi_metric.judge.prompt import REASK_PROMPT, parse_answers

TOKEN_VARS = ("HF_TOKEN", "OPENAI_API_KEY")
NO_TOKEN = "EMPTY"
RETRY_STATUS = frozenset({408, 409, 425, 429})
MAX_WAIT = 60.0
JSON_FORMAT = {"type": "json_object"}
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """The prompt-size estimate of the endpoint backend: ``ceil(characters / 4)``."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def resolve_token(env: Mapping[str, str], var: str | None = None) -> str | None:
    """The token: ``env[var]`` when a variable is named, else ``HF_TOKEN``, else
    ``OPENAI_API_KEY``; None when unset or empty."""
    for name in ((var,) if var else TOKEN_VARS):
        value = env.get(name)
        if value:
            return value
    return None


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection-level errors of whichever HTTP library huggingface_hub uses."""
    found: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module, name in (("httpx2", "TransportError"), ("httpx", "TransportError"),
                         ("requests", "ConnectionError"), ("requests", "Timeout")):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class EndpointJudge:
    """Chat completions from ``url`` with model ``model``; see the module docstring."""

    backend = "endpoint"

    def __init__(self, url: str, model: str, *, token: str | None = None,
                 temperature: float | None = 0.0, max_new_tokens: int | None = None,
                 timeout: float = 120.0, retries: int = 5, backoff: float = 1.0,
                 concurrency: int = 4, max_prompt_tokens: int | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise UsiError(f"--endpoint must be an http(s) URL, got {url!r}")
        if concurrency < 1 or retries < 0 or timeout <= 0 or backoff < 0:
            raise UsiError("--concurrency must be >= 1, --retries >= 0, --timeout > 0, "
                           "--backoff >= 0")
        from huggingface_hub import InferenceClient
        from huggingface_hub import errors as hf_errors

        self.url = url
        self.model_name = model
        self._token = token
        self.temperature = temperature
        self.max_new_tokens = max_new_tokens
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.concurrency = concurrency
        self.max_prompt_tokens = max_prompt_tokens
        self.budget = max_prompt_tokens
        self._errors = hf_errors
        self._transport = _transport_errors()
        self._json_mode = True
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.client = InferenceClient(base_url=url, api_key=token or NO_TOKEN, timeout=timeout)

    # ------------------------------------------------------------------ protocol

    def measure(self, prompt: str) -> int:
        return estimate_tokens(prompt)

    def settings(self) -> dict[str, Any]:
        """What must not change between a run and its resumption (the URL may: a server
        restarted elsewhere, or another replica, serves the same model)."""
        return {"backend": self.backend, "model": self.model_name,
                "temperature": self.temperature, "max_new_tokens": self.max_new_tokens,
                "max_prompt_tokens": self.max_prompt_tokens}

    def metadata(self) -> dict[str, Any]:
        return {**self.settings(), "endpoint": self.url,
                "decoding": {"method": "chat completion, one JSON object per session",
                             "temperature": self.temperature,
                             "max_tokens": self.max_new_tokens,
                             "response_format": JSON_FORMAT if self._json_mode else None,
                             "reask_prompt": REASK_PROMPT},
                "prompt_budget_tokens": self.budget,
                "prompt_size_estimate": "ceil(characters / 4)"}

    def cancel(self) -> None:
        """Stop: requests not yet sent are not sent, waits between retries end at once
        (the run is stopping after an error or Ctrl-C)."""
        self._stopped.set()

    def answer(self, prompt: str) -> JudgeAnswer:
        messages = [{"role": "user", "content": prompt}]
        reply = self.complete(messages)
        replies = [reply]
        answers = parse_answers(reply)
        if answers is None:
            again = [*messages, {"role": "assistant", "content": reply or ""},
                     {"role": "user", "content": REASK_PROMPT}]
            reply = self.complete(again)
            replies.append(reply)
            answers = parse_answers(reply)
        return JudgeAnswer(answers or {}, {"reasked": len(replies) > 1,
                                           "unreadable": answers is None,
                                           "replies": replies})

    # ------------------------------------------------------------------ requests

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def complete(self, messages: list[dict[str, str]]) -> str | None:
        """The reply text of one chat completion, with retries (module docstring)."""
        tries = self.retries + 1
        last = ""
        attempt = 0
        while attempt < tries:
            attempt += 1
            if self._stopped.is_set():
                raise UsiError("stopped")
            try:
                return self._once(messages)
            except _Retry as retry:
                last = retry.reason
                if attempt < tries:
                    wait = min(self.backoff * 2 ** (attempt - 1), MAX_WAIT)
                    if retry.wait is not None:
                        wait = max(wait, min(retry.wait, MAX_WAIT))
                    self._stopped.wait(wait)
        raise UsiError(f"no answer from {self.url} after {tries} "
                       f"{'try' if tries == 1 else 'tries'} (last: {last})")

    def _once(self, messages: list[dict[str, str]]) -> str | None:
        json_mode = self._json_mode
        kwargs: dict[str, Any] = {"model": self.model_name}
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        if self.max_new_tokens is not None:
            kwargs["max_tokens"] = self.max_new_tokens
        if json_mode:
            kwargs["response_format"] = JSON_FORMAT
        try:
            out = self.client.chat_completion(messages, **kwargs)
        except self._errors.OfflineModeIsEnabled:
            raise UsiError("HF_HUB_OFFLINE is set, so huggingface_hub reaches no server: "
                           "unset it to use --endpoint") from None
        except self._errors.InferenceTimeoutError:
            raise _Retry(f"timed out after {self.timeout:g} s") from None
        except self._errors.HfHubHTTPError as exc:
            return self._http_error(exc, json_mode, messages)
        except self._transport as exc:
            raise _Retry(self._redact(f"cannot connect: {exc}"[:200])) from None
        except ValueError as exc:  # a 200 whose body is not a chat completion
            raise UsiError(self._redact(f"the reply of {self.url} is not a chat completion "
                                        f"({str(exc)[:120]})")) from None
        choices = getattr(out, "choices", None) or []
        if not choices:
            return None
        message = getattr(choices[0], "message", None)
        content = getattr(message, "content", None)
        return content if isinstance(content, str) else None

    def _http_error(self, exc: Any, json_mode: bool,
                    messages: list[dict[str, str]]) -> str | None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        if status is None:
            raise _Retry("HTTP error without a status") from None
        if status in RETRY_STATUS or 500 <= status <= 599:
            raise _Retry(f"HTTP {status}", _retry_after(response)) from None
        if status in (400, 422) and json_mode:
            with self._lock:
                self._json_mode = False  # the server refuses response_format: ask without it
            return self._once(messages)
        if status in (401, 403):
            raise UsiError(f"{self.url} refused the request (HTTP {status}): check the token "
                           "in HF_TOKEN / OPENAI_API_KEY") from None
        if status == 404:
            raise UsiError(f"HTTP 404 from {self.url}: no chat-completions route there (an "
                           "OpenAI-compatible server serves POST <URL>/v1/chat/completions)"
                           ) from None
        body = ""
        try:
            body = " ".join(str(response.text).split())[:200]
        except Exception:  # noqa: BLE001 - a body that cannot be read is left out
            body = ""
        raise UsiError(self._redact(f"HTTP {status} from {self.url}: {body}".rstrip(": ")
                                    )) from None


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None) or {}
    value = headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
