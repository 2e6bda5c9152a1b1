"""A local ``transformers`` causal LM as the judge: options ranked by log-likelihood.

Needs the ``judge`` extra (``pip install 'usi-metric[judge]'``: transformers, torch,
tokenizers); this module is imported only when the local backend runs.

For one session the prompt (:mod:`usi_metric.judge.prompt`) goes through the model's chat
template as one user message, with the generation prompt (and ``enable_thinking=False``,
which templates with a thinking mode, such as Qwen3's, read as "answer directly"; others
ignore it), and is read ONCE (its key/value
cache kept). Then every option of every question is scored in ONE batched forward pass over
that cache: row ``(field, option)`` is the reply ``{"<field>": "<option>"`` (the reply's
start, :func:`~usi_metric.judge.prompt.answer_prefix`, then the option and its closing
quote). An option's score is the sum of the log-probabilities of the tokens that spell the
option and its closing quote (the tokens of the row after the longest run of tokens it
shares with the reply's start alone), given the prompt and the reply's start. Each question's
answer is its highest-scoring option; a tie goes to the option listed first. Every answer is
a valid option; no text is generated, so nothing is parsed and nothing is random: the same
model, device, dtype and inputs give the same answers.

The prompt budget is the model's context (the smallest of the config's
``max_position_embeddings`` / ``n_positions`` and the tokenizer's ``model_max_length``, or
``--max-prompt-tokens``) minus the longest scored row, in tokens of the chat-templated prompt.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
from usi_metric.errors import UsiError
from usi_metric.judge.base import JudgeAnswer
from usi_metric.judge.prompt import ANSWER_SUFFIX, answer_prefix
from usi_metric.judge.questions import survey_options

DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "float16", "bfloat16")
METHOD = ("option log-likelihood: sum of the log-probabilities of the option's tokens and its "
          "closing quote after the reply start {\"<field>\": \"; highest wins, ties to the "
          "first option; one batched forward pass per session over the cached prompt; chat "
          "template with add_generation_prompt=True, enable_thinking=False")
_HUGE = 10**7  # a tokenizer's model_max_length above this means "not set"


def _imports() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise UsiError("the local backend needs transformers and torch: "
                       "pip install 'usi-metric[judge]'") from exc
    return torch, transformers


def looks_like_path(model: str) -> bool:
    """A model argument that names a folder rather than a Hub id (``org/name``).

    >>> looks_like_path("./tiny"), looks_like_path("/m/x"), looks_like_path("Qwen/Qwen3-8B")
    (True, True, False)
    """
    return (model.startswith(("/", ".", "~")) or model.count("/") > 1 or "\\" in model
            or os.path.exists(model))


def check_model_arg(model: str) -> None:
    """A local model folder must exist and hold a ``config.json``."""
    if not looks_like_path(model):
        return
    path = os.path.expanduser(model)
    if not os.path.isdir(path):
        raise UsiError("model folder not found", file=model)
    if not os.path.isfile(os.path.join(path, "config.json")):
        raise UsiError("not a transformers model folder (no config.json)", file=model)


def model_context(config: Any, tokenizer: Any) -> int | None:
    """The model's context in tokens, or None when neither config nor tokenizer says."""
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    found = [getattr(text_config, a, None) for a in ("max_position_embeddings", "n_positions")]
    found.append(getattr(tokenizer, "model_max_length", None))
    sizes = [int(v) for v in found if isinstance(v, int) and 0 < v < _HUGE]
    return min(sizes) if sizes else None


class LocalJudge:
    """A causal LM from a folder or the Hub; see the module docstring."""

    backend = "local"
    concurrency = 1

    def __init__(self, model: str, *, device: str = "auto", dtype: str = "auto",
                 max_prompt_tokens: int | None = None) -> None:
        if device not in DEVICES:
            raise UsiError(f"--device must be one of {', '.join(DEVICES)}, got {device!r}")
        if dtype not in DTYPES:
            raise UsiError(f"--dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        check_model_arg(model)
        torch, transformers = _imports()
        self._torch = torch
        self._transformers = transformers
        self.model_name = model
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        elif device == "cuda" and not torch.cuda.is_available():
            raise UsiError("--device cuda: no CUDA device is available")
        self.device = device
        self.dtype_arg = dtype
        self.max_prompt_tokens = max_prompt_tokens
        self.tokenizer, self.model = self._load(transformers, torch, model, device, dtype)
        if not getattr(self.tokenizer, "chat_template", None):
            raise UsiError("the model's tokenizer has no chat template", file=model)
        params = inspect.signature(self.model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = {"logits_to_keep": 1} if "logits_to_keep" in params else {}
        self.rows = self._rows()
        self.context = model_context(self.model.config, self.tokenizer)
        longest = max(len(ids) for _, _, ids, _ in self.rows)
        limits = [n for n in (self.context, max_prompt_tokens) if n is not None]
        self.budget = min(limits) - longest if limits else None
        if self.budget is not None and self.budget < 1:
            raise UsiError(f"the model's context ({min(limits)} tokens) cannot hold an answer")
        self._last: tuple[str, list[int]] | None = None

    @staticmethod
    def _load(transformers: Any, torch: Any, model: str, device: str,
              dtype: str) -> tuple[Any, Any]:
        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        if dtype == "auto":
            torch_dtype: Any = torch.float32 if device == "cpu" else "auto"
        else:
            torch_dtype = getattr(torch, dtype)
        path = os.path.expanduser(model) if looks_like_path(model) else model
        major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
        dtype_kw = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"
        try:
            tok = transformers.AutoTokenizer.from_pretrained(path)
            lm = transformers.AutoModelForCausalLM.from_pretrained(path, **{dtype_kw: torch_dtype})
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsiError(f"cannot load the model ({first[:200]})", file=model) from None
        lm.to(device)
        lm.eval()
        return tok, lm

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _rows(self) -> list[tuple[str, str, list[int], int]]:
        """``(field, option, token ids of the reply row, index of its first scored token)``."""
        rows = []
        for field in SURVEY_FIELDS:
            prefix = self._ids(answer_prefix(field))
            for option in survey_options(field):
                ids = self._ids(answer_prefix(field) + option + ANSWER_SUFFIX)
                start = 0
                while start < min(len(prefix), len(ids)) and prefix[start] == ids[start]:
                    start += 1
                if start == len(ids):
                    raise UsiError(f"the tokenizer cannot tell option {option!r} apart",
                                   file=self.model_name, field=field)
                rows.append((field, option, ids, start))
        return rows

    def prompt_ids(self, prompt: str) -> list[int]:
        """Token ids of the prompt as one user message through the chat template."""
        if self._last is not None and self._last[0] == prompt:
            return self._last[1]
        text = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True,
            enable_thinking=False)
        ids = self._ids(text)
        self._last = (prompt, ids)
        return ids

    def measure(self, prompt: str) -> int:
        return len(self.prompt_ids(prompt))

    def scores(self, prompt: str) -> list[float]:
        """The score of every row (``self.rows`` order), from one batched pass."""
        torch = self._torch
        ids = self.prompt_ids(prompt)
        width = max(len(r[2]) for r in self.rows)
        pad = ids[-1]  # any id: padded positions come after the scored ones and are not read
        batch = [r[2] + [pad] * (width - len(r[2])) for r in self.rows]
        with torch.inference_mode():
            out = self.model(input_ids=torch.tensor([ids], device=self.device), use_cache=True,
                             **self._keep_kw)
            first = out.logits[0, -1].float().log_softmax(-1)
            cache = out[self._cache_kw]
            cache.batch_repeat_interleave(len(batch))
            logits = self.model(input_ids=torch.tensor(batch, device=self.device),
                                use_cache=True, **{self._cache_kw: cache}).logits.float()
            logp = logits.log_softmax(-1)
        result = []
        for b, (_, _, row, start) in enumerate(self.rows):
            total = 0.0
            for j in range(start, len(row)):
                dist = first if j == 0 else logp[b, j - 1]
                total += float(dist[row[j]])
            result.append(total)
        return result

    def answer(self, prompt: str) -> JudgeAnswer:
        best: dict[str, tuple[float, str]] = {}
        for (field, option, _, _), score in zip(self.rows, self.scores(prompt), strict=True):
            if field not in best or score > best[field][0]:
                best[field] = (score, option)
        return JudgeAnswer({f: best[f][1] for f in SURVEY_FIELDS})

    def settings(self) -> dict[str, Any]:
        """What must not change between a run and its resumption."""
        return {"backend": self.backend, "model": self.model_name, "device": self.device,
                "dtype": self.dtype_arg, "max_prompt_tokens": self.max_prompt_tokens}

    def metadata(self) -> dict[str, Any]:
        torch, transformers = self._torch, self._transformers
        return {**self.settings(), "endpoint": None,
                "decoding": {"method": METHOD, "answer_prefix": answer_prefix("<field>"),
                             "answer_suffix": ANSWER_SUFFIX,
                             "dtype": str(self.model.dtype).removeprefix("torch.")},
                "context_tokens": self.context, "prompt_budget_tokens": self.budget,
                "transformers_version": transformers.__version__,
                "torch_version": torch.__version__}
