"""Deterministic generator of a small SYNTHETIC release in the ``cmu-lti/tau-usi`` layout.

SYNTHETIC: every conversation, reward and survey answer written here comes from templates and
seeded ``random.Random`` draws. None of it is the human data of arXiv:2603.11245, the
simulator names are made up, and no score computed on it is a number of the paper. It exists
so that ``make demo``, the tests, the Space and the benchmark have something to run on.

Only the stdlib is used, each session draws from its own ``Random`` seeded by a string
(``"{seed}:{file}:{id}"``), so the output is byte-identical on every machine.

>>> import tempfile
>>> out = generate_release(tempfile.mkdtemp(), n_tasks_per_domain=3, n_runs=1,
...                        simulators=[SimSpec("synth-doc")])
>>> sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))[:2]
['data/tau_bench_tasks_unified.json', 'eval_results/eval_results_synth-doc.json']
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from usi_metric.aggregation.eval_agree import SURVEY_QUESTIONS, SURVEY_SCALES
from usi_metric.io.layout import MULTI_RUN_THRESHOLD

AGENT_ID = "synth-agent-v1"
HUMAN_EVAL_MAX = 100
SURVEY_OPTIONS: dict[str, tuple[str, ...]] = {  # docs/eval.md, in scale order
    field: tuple(scale) for field, scale in SURVEY_SCALES.items()}


@dataclass(frozen=True)
class SimSpec:
    """A synthetic user simulator: a name and behaviour knobs (probabilities in [0, 1])."""

    name: str
    n_runs: int | None = None  # None: the release's ``n_runs``
    has_survey: bool = True
    terse: float = 0.1  # short and ack-only turns
    verbosity: float = 0.3  # long turns padded with context sentences
    politeness: float = 0.3
    frontload: float = 0.1  # the opening message packs every identifier
    id_confuse: float = 0.0  # per session: one turn sounds like the agent
    repeat: float = 0.0  # per session: loops on one sentence
    doubt: float = 0.2  # uncertainty and clarification questions
    pushback: float = 0.1  # pushback, accusations, pivots
    emotion: float = 0.05
    dash: float = 0.0  # em / en dashes
    typos: float = 0.0
    lowercase: float = 0.0
    think_leak: float = 0.0  # leaked <|think|> blocks in user turns
    success_bias: float = 0.1  # added to a task's success probability
    optimism: float = 0.5  # how rosy its survey answers are


HUMAN = SimSpec("human", terse=0.35, verbosity=0.1, politeness=0.15, frontload=0.05,
                doubt=0.35, pushback=0.3, emotion=0.2, dash=0.04, typos=0.12, lowercase=0.55,
                success_bias=-0.06, optimism=0.3)
DEFAULT_SIMULATORS: list[SimSpec] = [
    SimSpec("synth-polite-xl", terse=0.0, verbosity=0.9, politeness=0.9, doubt=0.1,
            pushback=0.05, dash=0.3, success_bias=0.15, optimism=0.9),
    SimSpec("synth-terse", n_runs=1, terse=0.8, verbosity=0.0, politeness=0.05, doubt=0.1,
            pushback=0.15, lowercase=0.8, success_bias=0.05, optimism=0.4),
    SimSpec("synth-idcard", verbosity=0.5, politeness=0.4, frontload=0.9, doubt=0.05,
            think_leak=0.1, success_bias=0.2, optimism=0.7),
    SimSpec("synth-mirror", verbosity=0.6, politeness=0.6, id_confuse=0.5, doubt=0.15,
            success_bias=0.1, optimism=0.8),
    SimSpec("synth-echo", has_survey=False, terse=0.2, verbosity=0.3, repeat=0.35,
            pushback=0.3, emotion=0.2, success_bias=0.0, optimism=0.6),
]
NEW_SIMULATOR = SimSpec("synth-newcomer", terse=0.3, verbosity=0.3, politeness=0.35,
                        doubt=0.3, pushback=0.2, emotion=0.1, dash=0.05, lowercase=0.3,
                        success_bias=0.05, optimism=0.6)

# Deliberate edge cases: file tag -> {instance id: edge}. Tags: "human", "sim<i>" (i-th
# simulator of the list), "survey<i>", "human-eval". Ids missing from a release are ignored.
EDGES: dict[str, dict[str, str]] = {
    "human": {"airline_0": "meta-tau", "airline_1": "meta-reward", "airline_2": "meta-canvas",
              "airline_3_ann2": "keep-false", "airline_4": "meta-highlight",
              "airline_4_ann2": "survey-empty", "airline_5": "meta-survey",
              "airline_6_ann3": "empty-after-meta", "airline_7": "think-markup",
              "airline_8": "function-markup", "airline_9": "tool-markup",
              "airline_9_ann3": "survey-invalid", "airline_10": "function-unclosed",
              "airline_11_ann3": "keep-null", "retail_2_ann3": "keep-absent",
              "retail_3": "survey-missing-field", "retail_5": "keep-false",
              "retail_8_ann2": "keep-null", "retail_9_ann2": "no-user-turn",
              "retail_10_ann3": "survey-empty", "retail_12_ann3": "keep-false"},
    "sim0": {"airline_2_2": "keep-false", "retail_1_1": "keep-absent",
             "retail_7_1": "keep-false"},
    "sim1": {"airline_8": "keep-null", "retail_6": "empty-after-meta"},
    "sim2": {"retail_4_3": "keep-null"},
    "sim3": {"airline_10_2": "stop-inside-text", "airline_5_3": "keep-false"},
    "survey0": {"airline_1_ann2": "survey-empty", "retail_3": "survey-missing-field"},
    "survey2": {"airline_4": "survey-invalid"},
    "survey3": {"retail_6_ann3": "survey-empty", "airline_12_ann2": "absent"},
    "human-eval": {"airline_5": "survey-invalid", "retail_2": "survey-missing-field"},
}
INVALID_ANSWER = ("efficiency", "Pretty quick I guess")  # not one of §7's options

_FIRST = ("mia", "omar", "yusuf", "ava", "noah", "sofia", "liam", "chen", "amir", "lucas",
          "emma", "raj", "ivan", "fatima", "ethan", "lei", "nora", "mateo")
_LAST = ("li", "garcia", "khan", "smith", "rossi", "nguyen", "kim", "silva", "patel",
         "muller", "lopez", "ito", "brown", "sato")
_INTENTS = {
    "airline": ("change my flight", "cancel my reservation", "add a checked bag",
                "upgrade to business class", "change the passenger name", "book a flight"),
    "retail": ("return the {item}", "exchange the {item} for another size",
               "cancel my order", "change the shipping address", "get a refund for the {item}",
               "exchange the {item} for a different color"),
}
_ITEMS = ("desk lamp", "hiking boots", "water bottle", "mechanical keyboard", "t-shirt",
          "office chair", "backpack", "wireless earbuds")
_CONTEXT = ("I'm traveling for a family event, so the timing really matters to me.",
            "I want to make sure everything is handled correctly this time.",
            "It would really help me out if we could sort this out today.",
            "I have a busy week ahead, so I'd appreciate a quick resolution.",
            "Just so you know, I already tried doing this on the website.")
_ASIDES = ("just to be clear", "if that is possible", "no rush though", "whatever is easiest",
           "as discussed")
_BANK: dict[str, tuple[str, ...]] = {
    "open_short": ("hi", "hello", "hi i need to {what}", "need to {what}", "{what} pls",
                   "hey, can you help me {what}", "Hi. I want to {what}."),
    "open_long": ("Hello! I'm hoping you can help me {what}. {context}",
                  "Hi there, I need some help today: I'd like to {what}. {context}",
                  "Good afternoon. I am contacting you because I need to {what}. {context}"),
    "open_front": ("Hi, I'm {full} (user id {uid}, email {email}). I want to {what} for "
                   "{refname} {ref}, paid with {pay}, on {date}.",
                   "User {uid}, {refname} {ref}, payment {pay}, date {date}: please {what}."),
    "details_short": ("{uid}", "its {uid}", "user id {uid}", "{ref}", "my id is {uid}",
                      "it's {uid} i think"),
    "details_long": ("Sure, my user ID is {uid} and the {refname} is {ref}.",
                     "Of course. It's {uid}, and the {refname} number should be {ref}."),
    "ack": ("ok", "yes", "sure", "go ahead", "sounds good", "yep", "okay.", "yes!", "fine",
            "Yes, please proceed."),
    "pushback": ("are you sure? i booked it with insurance", "That's not right, I already "
                 "told you the date.", "why can't you just refund it", "I already gave you my "
                 "user id", "that doesn't make sense to me", "try again, it should be there"),
    "accuse": ("this is unacceptable", "your system is useless", "that's your fault not mine",
               "this is ridiculous"),
    "pivot": ("actually can we switch it to {date} instead", "I'd rather just cancel it then",
              "what about the cheaper option?", "on second thought, let's go with a refund",
              "how about store credit instead"),
    "clarify": ("what do you mean by basic economy?", "Could you clarify what the fee covers?",
                "sorry, which one is which", "i don't understand", "what exactly is included",
                "what's the difference between the two options"),
    "uncertain": ("i think it was {date}? not sure", "maybe the black one, I don't remember",
                  "I guess that works", "probably the second one", "hmm dunno, perhaps"),
    "infoq": ("how much will that cost", "when will the refund arrive?", "what are my options",
              "Can you check if there is a cheaper option?", "how long does it take",
              "is there a fee for that?"),
    "certain": ("Definitely the refund.", "yes absolutely", "of course, go ahead",
                "I'm certain, it was never delivered", "exactly, that one"),
    "emotion": ("ugh this is so frustrating", "I'm really worried I'll miss my connection",
                "honestly I'm annoyed, this is ridiculous", "this is stressing me out",
                "I'm upset, and it is not my fault"),
    "confuse": ("Thank you for your patience. Let me check the details on my side.",
                "Is there anything else I can help you with today?",
                "I understand your concern. Would you like me to proceed with that?",
                "For verification purposes, your reservation is under {uid}."),
    "close_short": ("ok thanks", "thx", "ok", "great thanks", "bye", "ok cool", "perfect",
                    "thanks!"),
    "close_long": ("Thank you so much for your help today, I really appreciate it!",
                   "That's wonderful, thanks for taking care of this so quickly.",
                   "Great, that is everything I needed. Have a nice day!"),
}
_REACTIONS = ("ack", "pushback", "accuse", "pivot", "clarify", "uncertain", "infoq", "certain",
              "emotion")


def _clip(p: float) -> float:
    return min(max(p, 0.0), 1.0)


def _task(domain: str, i: int, p: float, seed: int) -> dict[str, Any]:
    rng = random.Random(f"{seed}:task:{domain}_{i}")
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    item = rng.choice(_ITEMS)
    air = domain == "airline"
    ref = ("".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(6)) if air
           else f"#W{rng.randint(1000000, 9999999)}")
    return {"key": f"{domain}_{i}", "p": p, "uid": f"{first}_{last}_{rng.randint(1000, 9999)}",
            "full": f"{first.title()} {last.title()}", "item": item, "ref": ref,
            "email": f"{first}.{last}{rng.randint(10, 99)}@example.com",
            "refname": "reservation" if air else "order",
            "what": rng.choice(_INTENTS[domain]).format(item=item),
            "pay": rng.choice(("credit_card_", "gift_card_", "paypal_")) + str(
                rng.randint(100000, 9999999)),
            "date": f"May {rng.randint(2, 28)}", "context": rng.choice(_CONTEXT)}


def make_tasks(n_tasks_per_domain: int, seed: int = 0) -> list[dict[str, Any]]:
    """The synthetic tasks ``airline_0..`` then ``retail_0..``; ``p`` spreads evenly in (0, 1)."""
    tasks = []
    for domain in ("airline", "retail"):
        order = list(range(n_tasks_per_domain))
        random.Random(f"{seed}:difficulty:{domain}").shuffle(order)
        for i, rank in enumerate(order):
            p = 0.05 + 0.94 * rank / max(n_tasks_per_domain - 1, 1)
            tasks.append(_task(domain, i, p, seed))
    return tasks


def _join(a: str, b: str) -> str:
    return f"{a} {b}" if a.endswith((".", "!", "?")) else f"{a}. {b}"


def _decorate(text: str, spec: SimSpec, task: dict[str, Any], rng: random.Random,
              short: bool) -> str:
    if not short:
        if rng.random() < spec.politeness * 0.7:
            text = _join(text, rng.choice(("Thank you!", "I appreciate it.", "Thanks so much.",
                                           "Sorry for the hassle.")))
        if rng.random() < spec.verbosity * 0.6:
            text = _join(text, rng.choice(_CONTEXT))
        if rng.random() < spec.dash:
            text = f"{text.rstrip('.!')} {rng.choice(('—', '–'))} {rng.choice(_ASIDES)}."
        if rng.random() < spec.emotion * 0.5:
            text = _join(rng.choice(_BANK["emotion"]), text)
    if rng.random() < spec.typos:
        words = text.split(" ")
        k = rng.randrange(len(words))
        if len(words[k]) >= 4 and words[k].isalpha():
            w, j = words[k], rng.randrange(1, len(words[k]) - 2)
            words[k] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        text = " ".join(words)
    if rng.random() < spec.lowercase:
        text = text.lower().rstrip(".")
    if rng.random() < spec.think_leak:
        text = (f"<|think|>The agent wants {task['uid']}.\nI should answer briefly."
                f"<|/think|>{text}")
    return text


def _user_turn(kind: str, spec: SimSpec, task: dict[str, Any], rng: random.Random,
               failing: bool) -> str:
    short = rng.random() < spec.terse
    if kind == "open":
        bank = ("open_front" if rng.random() < spec.frontload
                else "open_short" if short or rng.random() > spec.verbosity else "open_long")
    elif kind == "details":
        bank = "details_short" if short or rng.random() > spec.verbosity else "details_long"
    elif kind == "close":
        bank = "close_short" if short or rng.random() > spec.politeness else "close_long"
    else:
        angry = 1.5 if failing else 1.0
        weights = (1 + 3 * spec.terse, spec.pushback * angry, spec.pushback * 0.5 * angry,
                   0.2 + spec.pushback * 0.5, spec.doubt, spec.doubt, 0.6, 0.25,
                   spec.emotion * angry)
        bank = rng.choices(_REACTIONS, weights)[0]
    text = rng.choice(_BANK[bank]).format(**task)
    return text if bank == "open_front" else _decorate(text, spec, task, rng, short)


def _agent(kind: str, task: dict[str, Any], success: bool, markup: str | None) -> str:
    text = {
        "greet": "Hi! How can I help you today?",
        "open": "I can help with that. Could you please share your user id?",
        "details": "Thanks. I found {refname} {ref} under {uid}. To confirm, you want to {what}?"
                   " Please answer yes or no.",
        "react": ("Done: your request has been processed and a confirmation was sent to {email}."
                  if success else "I'm sorry, but per our policy I cannot make that change."),
    }[kind].format(**task)
    if markup == "think":
        return f"<|think|>User wants to {task['what']}.\nCheck the policy first.<|/think|>{text}"
    if markup == "function":
        return f'<function=get_user_details>{{"user_id": "{task["uid"]}"}}</function>{text}'
    if markup == "tool":
        return f'<|tool|>{{"name": "find_{task["refname"]}", "id": "{task["ref"]}"}}<|/tool|>{text}'
    if markup == "unclosed":
        return f'{text}\n<function=transfer_to_human_agents>{{"summary": "{task["what"]}"'
    return text


def session(spec: SimSpec, task: dict[str, Any], key: str, edge: str | None,
            seed: int) -> tuple[list[dict[str, str]], float]:
    """One synthetic conversation and its 0/1 reward for ``spec`` (``HUMAN`` for a person)."""
    rng = random.Random(f"{seed}:{spec.name}:{key}")
    human = spec is HUMAN
    success = rng.random() < _clip(task["p"] + spec.success_bias)
    loop = rng.random() < spec.repeat
    rounds = 4 if loop else rng.randint(3, 4)
    kinds = ["open", "details", "react", "close"][:rounds]
    confuse = rng.randrange(1, rounds) if rng.random() < spec.id_confuse else -1
    markup = {"think-markup": "think", "function-markup": "function", "tool-markup": "tool",
              "function-unclosed": "unclosed"}.get(edge or "")
    if markup is None and rng.random() < 0.3:
        markup = rng.choice(("think", "function", "tool", "think", "function"))
    conv = [{"role": "assistant", "content": _agent("greet", task, success, None)}]
    loop_text = " ".join([f"Please just {task['what']} for {task['ref']} now."] * 4)
    for r, kind in enumerate(kinds):
        if loop and r >= 1:
            text = loop_text
        elif r == confuse:
            text = rng.choice(_BANK["confuse"]).format(**task)
        else:
            text = _user_turn(kind, spec, task, rng, not success)
        if edge == "stop-inside-text" and r == len(kinds) - 1:
            text += " ###STOP###"
        conv.append({"role": "user", "content": text})
        if kind != "close":
            if kind == "details" and rng.random() < 0.4:
                conv.append({"role": "tool", "content": json.dumps(
                    {"user_id": task["uid"], task["refname"]: task["ref"], "status": "active"})})
            conv.append({"role": "assistant", "content": _agent(
                kind, task, success, markup if kind == "details" else None)})
    if human:
        meta = {"meta-tau": (0, f"\\tau task {task['key']} loaded"),
                "meta-reward": (len(conv), f"\\reward {float(success)}"),
                "meta-canvas": (2, f"<|canvas|> notes: {task['ref']}"),
                "meta-highlight": (3, f"<|highlight|>{task['uid']}"),
                "meta-survey": (len(conv), "<|survey|> opened")}.get(edge or "")
        if meta is None and rng.random() < 0.08:
            meta = (0, f"\\tau task {task['key']} loaded")
        if meta:
            conv.insert(meta[0], {"role": "user", "content": meta[1]})
        if (rng.random() < 0.4 and len(conv) < 10) or edge == "meta-survey":
            conv.append({"role": "user", "content": rng.choice(("/stop", " /stop ", "/stop\n"))})
        if edge == "empty-after-meta":
            conv = [{"role": "user", "content": f"\\tau task {task['key']} loaded"},
                    {"role": "user", "content": "/stop"}]
        elif edge == "no-user-turn":
            conv = [m for m in conv[:3] if m["role"] != "user"]
    elif edge == "empty-after-meta":
        conv = [{"role": "user", "content": "###STOP###"}]
    elif edge != "stop-inside-text":
        conv.append({"role": "user", "content": rng.choice(
            ("###STOP###", "###STOP###", " ###STOP###", "###STOP###\n"))})
    return conv, float(success)


def _entry(iid: str, conv: list[dict[str, str]], reward: float, edge: str | None,
           survey: dict[str, Any]) -> dict[str, Any]:
    e: dict[str, Any] = {"instance_id": iid, "agent_id": AGENT_ID, "conversation": conv,
                         "survey": survey, "reward": reward}
    keep = {"keep-false": False, "keep-null": None}.get(edge or "", True)
    if edge != "keep-absent":
        e["keep"] = keep
    return e


def survey(rng: random.Random, success: bool, optimism: float, judge_human: bool,
           edge: str | None = None) -> dict[str, dict[str, str]]:
    """Answers to the 8 questions of §7 about one session (a person's or a simulator's)."""
    if edge == "survey-empty":
        return {}
    out: dict[str, dict[str, str]] = {}
    mood = 0.35 + 0.25 * success + 0.4 * optimism
    for field, opts in SURVEY_OPTIONS.items():
        if field == "task_success":  # people: 70% of failures judged a success, 33% vice versa
            yes = ((0.67 if success else 0.7) if judge_human
                   else 0.55 + 0.4 * optimism if success else 0.6 * optimism)
            k = rng.choice((3, 3, 3, 4)) if rng.random() < yes else rng.choice((0, 0, 1, 2))
        elif field == "question_amount_preference":
            k = 1 if rng.random() < 0.5 + 0.4 * optimism else rng.choice((0, 2))
        else:
            level = _clip(mood + rng.gauss(0.0, 0.22 if judge_human else 0.12))
            k = round(level * (len(opts) - 1))
        out[field] = {"answer": opts[k]}
    return _survey_edge(out, edge)


def _survey_edge(answers: dict[str, dict[str, str]], edge: str | None) -> dict[str, Any]:
    if edge == "survey-missing-field":
        del answers["reuse"]
    elif edge == "survey-invalid":
        answers[INVALID_ANSWER[0]] = {"answer": INVALID_ANSWER[1]}
    return answers


def _humans(tasks: list[dict[str, Any]], seed: int) -> dict[str, dict[str, Any]]:
    edges, out = EDGES["human"], {}
    for iid, task in [(t["key"] + sfx, t) for t in tasks for sfx in ("", "_ann2", "_ann3")]:
        conv, reward = session(HUMAN, task, iid, edges.get(iid), seed)
        srng = random.Random(f"{seed}:human-survey:{iid}")
        answers = survey(srng, reward > 0, HUMAN.optimism, True, edges.get(iid))
        out[iid] = _entry(iid, conv, reward, edges.get(iid), answers)
    return out


# What an LLM judge writes when it does not pick one of the options (kept as given; the
# scorer's seeded fill then applies): about a third "no answer", a few free-text strings.
JUDGE_NO_ANSWER = "no answer"
JUDGE_FREE_TEXT = ("Yes, mostly", "N/A", "4", "Somewhat efficient", "about right")


def _judge_like(rng: random.Random, answers: dict[str, Any]) -> dict[str, Any]:
    """Judge-style answers: each field with its question text; ~1/3 "no answer", ~4% text
    that is not an option."""
    out: dict[str, Any] = {}
    for field, value in answers.items():
        answer = value.get("answer") if isinstance(value, dict) else value
        u = rng.random()
        if u < 0.33:
            answer = JUDGE_NO_ANSWER
        elif u < 0.37:
            answer = rng.choice(JUDGE_FREE_TEXT)
        out[field] = {"question": SURVEY_QUESTIONS.get(field, field), "answer": answer}
    return out


def _judge_surveys(spec: SimSpec, humans: dict[str, dict[str, Any]], tag: str,
                   seed: int) -> dict[str, dict[str, Any]]:
    edges, out = EDGES.get(tag, {}), {}
    for iid, h in humans.items():
        if edges.get(iid) != "absent":
            rng = random.Random(f"{seed}:{spec.name}:survey:{iid}")
            answers = survey(rng, h["reward"] > 0, spec.optimism, False, edges.get(iid))
            out[iid] = {"instance_id": iid, "survey": _judge_like(rng, answers)}
    return out


def _human_eval(humans: dict[str, dict[str, Any]], seed: int) -> dict[str, dict[str, Any]]:
    """A second person's survey of up to 100 batch-1 sessions: the first's answers, perturbed."""
    rng = random.Random(f"{seed}:human-eval")
    ids = [i for i in humans if not i.endswith(("_ann2", "_ann3"))]
    rng.shuffle(ids)
    out = {}
    for iid in ids[:HUMAN_EVAL_MAX]:
        answers = {}
        for field, opts in SURVEY_OPTIONS.items():
            k = rng.randrange(len(opts))
            own = humans[iid]["survey"].get(field, {}).get("answer")
            if own in opts and rng.random() < 0.75:
                k = min(max(opts.index(own) + rng.choice((-1, 0, 0, 0, 1)), 0), len(opts) - 1)
            answers[field] = {"answer": opts[k]}
        out[iid] = {"instance_id": iid,
                    "survey": _survey_edge(answers, EDGES["human-eval"].get(iid))}
    return out


def _write(path: Path, data: Any) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    path.write_bytes(raw)
    return len(data["results"]) if set(data) == {"results"} else len(data)


def _sim_entries(spec: SimSpec, tag: str, tasks: list[dict[str, Any]], runs: int,
                 seed: int) -> dict[str, dict[str, Any]]:
    edges, out = EDGES.get(tag, {}), {}
    for run in range(1, runs + 1):
        for task in tasks:
            iid = task["key"] if runs == 1 else f"{task['key']}_{run}"
            conv, reward = session(spec, task, iid, edges.get(iid), seed)
            out[iid] = _entry(iid, conv, reward, edges.get(iid), {})
    return out


def generate_release(out_dir: str | Path, *, n_tasks_per_domain: int = 29,
                     simulators: list[SimSpec] | None = None, n_runs: int = 3, seed: int = 0,
                     with_human_eval: bool = True) -> Path:
    """Write a SYNTHETIC release (docs/ids-and-runs.md layout) into ``out_dir``; return its path.

    Humans: 3 sessions per task. Simulators: ``spec.n_runs or n_runs`` runs each; a file of
    several runs must hold more than 170 entries and a single run at most 170 (the spec's
    file-size rule), else ``ValueError``. A ``README.md`` saying SYNTHETIC is written too.
    """
    sims = DEFAULT_SIMULATORS if simulators is None else simulators
    tasks = make_tasks(n_tasks_per_domain, seed)
    for spec in sims:
        runs = spec.n_runs or n_runs
        if (runs > 1) != (runs * len(tasks) > MULTI_RUN_THRESHOLD):
            raise ValueError(f"{spec.name}: {runs} run(s) x {len(tasks)} tasks breaks the "
                             f"{MULTI_RUN_THRESHOLD}-entry rule of docs/ids-and-runs.md")
    out = Path(out_dir)
    humans = _humans(tasks, seed)
    counts = {"data/tau_bench_tasks_unified.json": _write(
        out / "data" / "tau_bench_tasks_unified.json", humans)}
    for i, spec in enumerate(sims):
        rel = f"eval_results/eval_results_{spec.name}.json"
        counts[rel] = _write(out / rel, _sim_entries(spec, f"sim{i}", tasks,
                                                     spec.n_runs or n_runs, seed))
        if spec.has_survey:
            rel = f"survey_data/survey_comparable_{spec.name}.json"
            counts[rel] = _write(out / rel, _judge_surveys(spec, humans, f"survey{i}", seed))
    if with_human_eval:
        rel = "survey_data/survey_comparable_human-eval-100.json"
        counts[rel] = _write(out / rel, _human_eval(humans, seed))
    (out / "README.md").write_bytes(_readme(counts, sims, n_tasks_per_domain, seed).encode())
    return out


def _readme(counts: dict[str, int], sims: list[SimSpec], n: int, seed: int) -> str:
    rows = "\n".join(f"| `{k}` | {v} |" for k, v in counts.items())
    edges = "\n".join(f"- `{tag}`: " + ", ".join(f"`{i}` {e}" for i, e in d.items())
                      for tag, d in EDGES.items())
    names = ", ".join(f"`{s.name}`" for s in sims)
    return f"""# SYNTHETIC sample release: NOT the paper's data

**THIS IS SYNTHETIC DATA.** Every conversation, reward and survey answer in this folder was
generated from templates and a seeded random number generator by
`scripts/make_synthetic_sample.py` (`usi_metric.synthetic.generate_release`, seed {seed},
{n} tasks per domain). It is **not** the `cmu-lti/tau-usi` human data of arXiv:2603.11245:
no study participant and no real LLM wrote any of it, and the simulators ({names}) are
made-up personas, not models. Any USI, D1-D4, ECE or Eval number computed on this folder is
**not** a number of the paper. Do not edit these files by hand: a test regenerates them.

It follows the release layout of docs/ids-and-runs.md so the tooling (`make demo`, tests, the
Space, benchmarks) has something to run on.

| file | entries |
|---|---|
{rows}

Deliberate edge cases (file tag: `sim<i>` / `survey<i>` = i-th simulator above):

{edges}

Besides these, sessions randomly carry tool messages, agent markup, `/stop` and `###STOP###`.
"""


def benchmark_simulators(n: int) -> list[SimSpec]:
    """``n`` synthetic simulators (3 runs, with surveys) with varied knobs, for benchmarks."""
    out = []
    for i in range(n):
        rng = random.Random(f"bench-sim:{i}")
        knobs = {k: round(rng.random() * hi, 3) for k, hi in (
            ("terse", 0.8), ("verbosity", 0.9), ("politeness", 0.9), ("frontload", 0.8),
            ("id_confuse", 0.4), ("repeat", 0.3), ("doubt", 0.4), ("pushback", 0.4),
            ("emotion", 0.2), ("dash", 0.3), ("lowercase", 0.6), ("optimism", 1.0))}
        out.append(SimSpec(f"synth-bench-{i + 1:02d}", success_bias=round(
            rng.uniform(-0.05, 0.25), 3), **knobs))
    return out


def generate_new_simulator_runs(path: str | Path, *, n_tasks_per_domain: int = 29,
                                seed: int = 0) -> tuple[Path, Path]:
    """Write a NEW synthetic simulator (not in the release) into folder ``path``.

    ``runs.json`` is the rollout format ``{"results": [{"instance_id", "run", "conversation",
    "reward", "keep"}, ...]}`` (3 runs); ``survey.json`` holds its survey answers on the human
    sessions of the release generated with the same ``n_tasks_per_domain`` and ``seed``.
    Returns ``(runs path, survey path)``; a ``README.md`` saying SYNTHETIC is written too.
    """
    out = Path(path)
    tasks = make_tasks(n_tasks_per_domain, seed)
    results = []
    for run in range(1, 4):
        for task in tasks:
            conv, reward = session(NEW_SIMULATOR, task, f"{task['key']}_{run}", None, seed)
            results.append({"instance_id": task["key"], "run": run, "conversation": conv,
                            "reward": reward, "keep": True})
    _write(out / "runs.json", {"results": results})
    _write(out / "survey.json", _judge_surveys(NEW_SIMULATOR, _humans(tasks, seed), "new", seed))
    (out / "README.md").write_bytes(f"""# SYNTHETIC new simulator: NOT the paper's data

**THIS IS SYNTHETIC DATA**, generated by `scripts/make_synthetic_sample.py`
(`usi_metric.synthetic.generate_new_simulator_runs`, seed {seed}). `{NEW_SIMULATOR.name}` is a
made-up persona, not a model, and is not part of the sample release beside this folder.

- `runs.json`: {len(results)} records, 3 runs of {len(tasks)} tasks, in the rollout format
  `{{"results": [{{"instance_id", "run", "conversation", "reward", "keep"}}]}}`.
- `survey.json`: its answers to the 8-question survey about the release's human sessions.

Score it (numbers are NOT the paper's):

    usi score usi_metric/samples/synthetic_new_simulator/runs.json \\
        --survey usi_metric/samples/synthetic_new_simulator/survey.json \\
        --data-dir usi_metric/samples/synthetic_tau_usi
""".encode())
    return out / "runs.json", out / "survey.json"
