"""``usi survey``: a model answers the 8-question survey on the human sessions (the Eval term).

Nothing heavy is imported until the command runs (torch and transformers only for the local
backend, huggingface_hub's client only for an endpoint).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from usi_metric.errors import UsiError
from usi_metric.report.escape import for_terminal

LOCAL_ONLY = ("device", "dtype")
ENDPOINT_ONLY = ("concurrency", "temperature", "max_new_tokens", "timeout", "retries",
                 "backoff", "token_env")


def _temperature(text: str) -> float | str:
    if text == "default":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number or 'default', got {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``survey`` to the ``usi`` parser."""
    p = sub.add_parser(
        "survey", help="a model answers the survey on the human sessions (the Eval term)",
        description="A model reads every kept human session of a release and answers the "
        "8-question survey as the user who had it; the answers are written as a "
        "survey_comparable file (with a .meta.json sidecar) and their Eval is printed. "
        "Local transformers model (options ranked by log-likelihood) by default; any "
        "OpenAI-compatible chat-completions server with --endpoint.")
    p.add_argument("--data-dir", metavar="DIR", help="release folder (tau-usi layout)")
    p.add_argument("--model", metavar="MODEL",
                   help="local: a model folder or Hub id; endpoint: the model name")
    p.add_argument("--out", metavar="FILE", help="the survey file to write, e.g. "
                   "survey_data/survey_comparable_<name>.json")
    p.add_argument("--endpoint", metavar="URL",
                   help="an OpenAI-compatible server, e.g. http://localhost:8000/v1 (token "
                   "from HF_TOKEN or OPENAI_API_KEY)")
    p.add_argument("--limit", type=int, metavar="N",
                   help="only the first N sessions in sorted id order")
    p.add_argument("--max-prompt-tokens", type=int, metavar="N",
                   help="cut longer conversations (local default: the model's context; "
                   "endpoint default: no cut, size estimated as characters / 4)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"),
                   help="local: default auto (cuda when there is one)")
    p.add_argument("--dtype", choices=("auto", "float32", "float16", "bfloat16"),
                   help="local: default auto (float32 on cpu, the checkpoint's on cuda)")
    p.add_argument("--concurrency", type=int, metavar="K",
                   help="endpoint: requests at once (default 4)")
    p.add_argument("--temperature", type=_temperature, metavar="T",
                   help="endpoint: sampling temperature (default 0; 'default' sends none)")
    p.add_argument("--max-new-tokens", type=int, metavar="N",
                   help="endpoint: max_tokens of a reply (default: not sent)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="endpoint: seconds per request (default 120)")
    p.add_argument("--retries", type=int, metavar="N",
                   help="endpoint: retries on 429/5xx/timeouts (default 5)")
    p.add_argument("--backoff", type=float, metavar="S",
                   help="endpoint: first retry wait in seconds, doubled each time (default 1)")
    p.add_argument("--token-env", metavar="VAR",
                   help="endpoint: read the token from this variable instead")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="date stored in the metadata "
                   "(default: $USI_SURVEY_DATE, else the day the run started)")
    p.add_argument("--show-prompt", action="store_true",
                   help="print the prompt template (and, with --data-dir, the first "
                   "session's prompt) and exit")
    p.add_argument("--overwrite", action="store_true",
                   help="start over: replace FILE and forget its journal")
    p.set_defaults(func=cmd_survey)


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    return ["--" + n.replace("_", "-") for n in names if getattr(args, n) is not None]


def show_prompt(args: argparse.Namespace) -> int:
    from usi_metric.judge.prompt import (
        ANSWER_SUFFIX,
        PROMPT_TEMPLATE,
        PROMPT_VERSION,
        answer_prefix,
        build_prompt,
        conversation_turns,
        render_turns,
    )

    print(f"# prompt template ({PROMPT_VERSION}): one user message, "
          "{conversation} replaced by the session's turns")
    print(PROMPT_TEMPLATE)
    print(f"\n# local backend: each option is scored as the reply "
          f"{answer_prefix('<field>')}<option>{ANSWER_SUFFIX}")
    if args.data_dir:
        from usi_metric.io import find_human_file, load_humans
        from usi_metric.judge.run import kept_sessions

        sessions = kept_sessions(load_humans(find_human_file(args.data_dir)), 1)
        if sessions:
            print(for_terminal(f"\n# the prompt of {sessions[0].instance_id} (before any cut)",
                               keep_lines=True))
            print(for_terminal(build_prompt(render_turns(conversation_turns(
                sessions[0].conversation))), keep_lines=True))
    return 0


def cmd_survey(args: argparse.Namespace) -> int:
    if args.show_prompt:
        return show_prompt(args)
    missing = [f"--{n.replace('_', '-')}" for n in ("data_dir", "model", "out")
               if not getattr(args, n)]
    if missing:
        raise UsiError(f"usi survey needs {', '.join(missing)}")
    wrong = _given(args, LOCAL_ONLY if args.endpoint else ENDPOINT_ONLY)
    if wrong:
        which = "the local backend" if args.endpoint else "--endpoint"
        raise UsiError(f"{', '.join(wrong)} only apply to {which}")
    from usi_metric.judge.run import print_result, run_survey

    result = run_survey(args.data_dir, args.out, lambda: _make_judge(args), limit=args.limit,
                        overwrite=args.overwrite, date=args.date,
                        progress=sys.stderr.isatty())
    print_result(result)
    return 0


def _make_judge(args: argparse.Namespace) -> Any:
    if args.endpoint:
        from usi_metric.judge.endpoint import EndpointJudge, resolve_token

        temperature = 0.0 if args.temperature is None else args.temperature
        return EndpointJudge(
            args.endpoint, args.model, token=resolve_token(os.environ, args.token_env),
            temperature=None if temperature == "default" else temperature,
            max_new_tokens=args.max_new_tokens,
            timeout=120.0 if args.timeout is None else args.timeout,
            retries=5 if args.retries is None else args.retries,
            backoff=1.0 if args.backoff is None else args.backoff,
            concurrency=4 if args.concurrency is None else args.concurrency,
            max_prompt_tokens=args.max_prompt_tokens)
    from usi_metric.judge.local import LocalJudge

    return LocalJudge(args.model, device=args.device or "auto", dtype=args.dtype or "auto",
                      max_prompt_tokens=args.max_prompt_tokens)
