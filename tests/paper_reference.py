"""An independent end-to-end reference of the paper's USI scorer (arXiv:2603.11245).

Written from ``docs/index.md`` and the paper scorer's semantics, in plain Python + numpy + ``re``.
It imports NOTHING from ``usi_metric``: the only thing it shares with the project is the
lexicon data file, read here as plain JSON by path. ``score_release(data_dir, difficulty)``
gives the leaderboard rows ``{name, D1_conv, D2_info, D3_clarif, D4_react, eval_agree, ece,
usi}`` with every cell ``(mean, population std)`` or ``None``.

Inputs whose paper behaviour is a documented deviation (an id that is ambiguous inside a
multi-run simulator file, a human pair that has Dice but no ECE, a set of sessions none of
which yields features) raise ``PaperDeviation``: generated test data must avoid them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np

_PKG = Path(__file__).resolve().parents[1] / "usi_metric"
# The lexicon data file, read as plain JSON by path (the package keeps it in data/ after the
# restructure; the original place first).
LEXICON_FILE = next((p for p in (_PKG / "lexicons.json", _PKG / "data" / "lexicons.json")
                     if p.is_file()), _PKG / "lexicons.json")
HUMAN_FILE = "tau_bench_tasks_unified.json"
HUMAN_HE_FILE = "survey_comparable_human-eval-100.json"
HUMAN_ROW = "Human (inter-ann.)"
CELLS = ("D1_conv", "D2_info", "D3_clarif", "D4_react", "eval_agree", "ece", "usi")
MULTI_RUN_ABOVE = 170
RUN_SUFFIXES = ("1", "2", "3")
ECE_CUTOFFS = (0.2, 0.4, 0.6, 0.8)
MIN_POOLED = 10
SEED = 42


class PaperDeviation(ValueError):
    """Input on which the paper's scorer has a documented deviation; test data avoids it."""


# --- lexicons -------------------------------------------------------------------------------

# How each lexicon is applied, as the reference implements it. If lexicons.json ever says
# something else, the reference refuses to run rather than silently compute another metric.
EXPECTED_HOW = {
    "POLITE": ("search", "lowered"),
    "EMOTION": ("search", "lowered"),
    "DASH": ("search", "stripped (not lowered)"),
    "ACK": ("match at start of the lowered text after str.strip()", "lowered"),
    "ID": ("findall (count of non-overlapping matches)", "lowered"),
    "UNCERTAIN": ("search", "lowered"),
    "CERTAIN": ("search", "lowered"),
    "PUSHBACK": ("search", "lowered"),
    "CLARIFY": ("search (only in turns PUSHBACK does not match)", "lowered"),
    "INFOQ": ("search (only in turns neither PUSHBACK nor CLARIFY match)", "lowered"),
    "ACCUSE": ("search", "lowered"),
    "PIVOT": ("search", "lowered"),
    "ID_CONFUSE": ("search (any user turn)", "lowered"),
    "AGENT_MARKUP": ("sub with '' (removed), re.DOTALL", "raw message content"),
}


def _load_lexicons() -> dict[str, re.Pattern[str]]:
    raw = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    names = sorted(k for k in raw if not k.startswith("_"))
    if names != sorted(EXPECTED_HOW):
        raise RuntimeError(f"lexicons.json holds {names}, the reference knows "
                           f"{sorted(EXPECTED_HOW)}")
    out = {}
    for name, (how, applied) in EXPECTED_HOW.items():
        spec = raw[name]
        if (spec["how"], spec["applied_to"]) != (how, applied):
            raise RuntimeError(f"lexicon {name}: applied as {spec['how']!r} to "
                               f"{spec['applied_to']!r}; the reference implements {how!r}")
        flags = 0
        for flag in filter(None, spec.get("flags", "").split("|")):
            flags |= getattr(re, flag.strip())
        out[name] = re.compile(spec["pattern"], flags)
    return out


LEX = _load_lexicons()

# --- features (spec sections 2-3) ------------------------------------------------------------

D1 = ("politeness_rate", "short_msg_rate", "formality_rate", "ack_only_rate", "verbosity_cv",
      "repeat_rate", "id_confuse_rate")
D2 = ("info_frontload", "id_density", "user_words_per_turn", "opening_words")
D3 = ("uncertainty_rate", "certainty_rate", "pushback_q_rate", "clarify_q_rate", "info_q_rate")
D4 = ("emotion_rate", "accusation_rate", "pivot_rate")
DIMS = (D1, D2, D3, D4)
FEATURES = D1 + D2 + D3 + D4
PERCENT = tuple(f for f in FEATURES if f.endswith("_rate")) + ("info_frontload",)

HUMAN_META_PREFIXES = ("\\tau ", "\\reward")
HUMAN_META_PARTS = ("<|canvas|>", "<|highlight|>", "<|survey|>")


def is_meta(content: str, source: str) -> bool:
    """A meta message of a human (``human``) or simulator (``llm``) session."""
    if source == "human":
        return (content.startswith(HUMAN_META_PREFIXES)
                or any(part in content for part in HUMAN_META_PARTS)
                or content.strip() == "/stop")
    return content.strip() == "###STOP###"


def conversation_features(conversation: list[dict], source: str) -> dict[str, float] | None:
    """The 18 dimension features of one conversation (raw values, rates as 0..1), or None."""
    remaining = []
    for msg in conversation:
        content = msg["content"]
        if is_meta(content, source):
            continue
        remaining.append((msg["role"], LEX["AGENT_MARKUP"].sub("", content)))
    if not remaining:
        return None
    turns = [text for role, text in remaining if role == "user"]
    if not turns:
        return None
    n = len(turns)
    lowered = [t.lower() for t in turns]
    words = [len(t.split()) for t in turns]

    def share(flags: list[bool]) -> float:
        return sum(flags) / n

    def hits(name: str) -> list[bool]:
        return [LEX[name].search(low) is not None for low in lowered]

    trigrams: Counter[tuple[str, ...]] = Counter()
    for low in lowered:
        ws = low.split()
        for i in range(len(ws) - 2):
            trigrams[tuple(ws[i:i + 3])] += 1
    pushback = hits("PUSHBACK")
    clarify_hits = hits("CLARIFY")
    clarify = [c and not p for c, p in zip(clarify_hits, pushback, strict=True)]
    infoq = [q and not p and not c
             for q, p, c in zip(hits("INFOQ"), pushback, clarify_hits, strict=True)]
    mean_w = float(np.mean(words))
    total_w = sum(words)
    return {
        "politeness_rate": share(hits("POLITE")),
        "short_msg_rate": share([w <= 3 for w in words]),
        "formality_rate": share([LEX["DASH"].search(t) is not None for t in turns]),
        "ack_only_rate": share([LEX["ACK"].match(low.strip()) is not None for low in lowered]),
        "verbosity_cv": float(np.std(words)) / mean_w if mean_w != 0 else 0.0,
        "repeat_rate": 1.0 if any(c > 10 for c in trigrams.values()) else 0.0,
        "id_confuse_rate": 1.0 if any(hits("ID_CONFUSE")) else 0.0,
        "info_frontload": sum(words[:2]) / total_w if total_w != 0 else 0.0,
        "id_density": float(np.mean([len(LEX["ID"].findall(low)) for low in lowered])),
        "user_words_per_turn": mean_w,
        "opening_words": float(words[0]),
        "uncertainty_rate": share(hits("UNCERTAIN")),
        "certainty_rate": share(hits("CERTAIN")),
        "pushback_q_rate": share(pushback),
        "clarify_q_rate": share(clarify),
        "info_q_rate": share(infoq),
        "emotion_rate": share(hits("EMOTION")),
        "accusation_rate": share(hits("ACCUSE")),
        "pivot_rate": share(hits("PIVOT")),
    }


class _FeatureCache:
    """Features of each entry object, computed once per scoring (entries are never copied)."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[dict, dict[str, float] | None]] = {}

    def get(self, entry: dict, source: str) -> dict[str, float] | None:
        hit = self._cache.get(id(entry))
        if hit is None:
            hit = (entry, conversation_features(entry.get("conversation") or [], source))
            self._cache[id(entry)] = hit
        return hit[1]


def build_row(entries: list[dict], source: str, cache: _FeatureCache) -> dict[str, float]:
    """Mean of every feature over the sessions with features; rates and frontload x100."""
    feats = [f for f in (cache.get(e, source) for e in entries) if f is not None]
    if not feats:
        raise PaperDeviation("a row over sessions none of which yields features")
    return {k: float(np.mean([f[k] for f in feats])) * (100.0 if k in PERCENT else 1.0)
            for k in FEATURES}


def dice_dims(h_row: dict[str, float], m_row: dict[str, float]) -> list[float]:
    """D1..D4: 100 x mean Sorensen-Dice similarity of each dimension's features."""
    out = []
    for dim in DIMS:
        sims = []
        for f in dim:
            h, m = abs(h_row[f]), abs(m_row[f])
            sims.append(1.0 if h + m == 0 else 2 * min(h, m) / (h + m))
        out.append(100.0 * float(np.mean(sims)))
    return out


# --- ids, batches, runs, rewards ---------------------------------------------------------------

TASK_RE = re.compile(r"^(airline|retail)_(\d+)")
RUN_RE = re.compile(r"^(airline|retail)_(\d+)_(\d+)")


def task_key(s: str) -> str:
    m = TASK_RE.match(s)
    return f"{m.group(1)}_{m.group(2)}" if m else s


def is_kept(entry: dict) -> bool:
    return bool(entry.get("keep", True))


def success(entry: dict) -> int:
    return 1 if (entry.get("reward") or 0) > 0 else 0


def split_batches(data: dict[str, dict]) -> list[dict[str, dict]]:
    """Three batches keyed by BASE id: ``_ann2`` -> batch 2, ``_ann3`` -> 3, else 1."""
    batches: list[dict[str, dict]] = [{}, {}, {}]
    for iid, entry in data.items():
        if iid.endswith("_ann2"):
            batches[1][iid[:-5]] = entry
        elif iid.endswith("_ann3"):
            batches[2][iid[:-5]] = entry
        else:
            batches[0][iid] = entry
    return batches


def kept_of(batch: dict[str, dict]) -> dict[str, dict]:
    return {k: e for k, e in batch.items() if is_kept(e)}


def human_rewards(batch: dict[str, dict]) -> dict[str, int]:
    """task_key(base id) -> success, kept entries only, later entries overwrite earlier."""
    out: dict[str, int] = {}
    for base, entry in batch.items():
        if is_kept(entry):
            out[task_key(base)] = success(entry)
    return out


def _split_id(iid: str) -> tuple[str, str]:
    parts = iid.rsplit("_", 1)
    if len(parts) != 2:
        raise PaperDeviation(f"id {iid!r} without '_' inside a multi-run file")
    return parts[0], parts[1]


def split_runs(data: dict[str, dict]) -> list[dict[str, dict]]:
    """The rows' runs of a simulator file: one run when <= 170 entries, else by id suffix."""
    if len(data) <= MULTI_RUN_ABOVE:
        return [dict(data)]
    runs: dict[str, dict[str, dict]] = {}
    for iid, entry in data.items():
        base, suffix = _split_id(iid)
        if suffix in RUN_SUFFIXES:
            if TASK_RE.match(iid) and not RUN_RE.match(iid):
                raise PaperDeviation(f"ambiguous id {iid!r} in a multi-run file")
            runs.setdefault(suffix, {})[base] = entry
        else:
            if not RUN_RE.match(iid):
                raise PaperDeviation(f"id {iid!r} of run '0' is not an airline/retail run id")
            runs.setdefault("0", {})[iid] = entry
    return [runs[k] for k in sorted(runs)]


def sim_reward_maps(data: dict[str, dict]) -> dict[str, dict[int, int]]:
    """task -> {run index: success} over entries with keep not False; last wins."""
    multi = len(data) > MULTI_RUN_ABOVE
    out: dict[str, dict[int, int]] = {}
    for iid, entry in data.items():
        if entry.get("keep", True) is False:
            continue
        if TASK_RE.match(iid):
            m = RUN_RE.match(iid)
            task, run = task_key(iid), (int(m.group(3)) if m else 1)
        elif multi:
            base, suffix = _split_id(iid)
            if suffix not in RUN_SUFFIXES:
                raise PaperDeviation(f"non airline/retail id {iid!r} without a run suffix")
            task, run = base, int(suffix)
        else:
            task, run = iid, 1
        runs = out.setdefault(task, {})
        if run in runs and runs[run] != success(entry):
            # the paper keeps whichever comes last: order-dependent; this project refuses
            raise PaperDeviation(f"{iid!r} collides with another id of run {run} of {task} "
                                 "with another outcome")
        runs[run] = success(entry)
    return out


def pooled_difficulty(maps: list[dict[str, dict[int, int]]]) -> dict[str, float]:
    pool: dict[str, list[int]] = {}
    for sim in maps:
        for task, runs in sim.items():
            pool.setdefault(task, []).extend(runs.values())
    return {t: float(np.mean(v)) for t, v in pool.items() if len(v) >= MIN_POOLED}


def ece(sim: dict[str, int], hum: dict[str, int], diff: dict[str, float]) -> float | None:
    tasks = [t for t in sim if t in hum and t in diff]
    if not tasks:
        return None
    bins: dict[int, list[str]] = {}
    for t in tasks:
        b = next((i for i, c in enumerate(ECE_CUTOFFS) if diff[t] < c), len(ECE_CUTOFFS))
        bins.setdefault(b, []).append(t)
    n = len(tasks)
    total = 0.0
    for b in sorted(bins):
        ts = bins[b]
        gap = abs(float(np.mean([sim[t] for t in ts])) - float(np.mean([hum[t] for t in ts])))
        total += len(ts) / n * gap
    return total


# --- survey agreement (spec section 7) ---------------------------------------------------------

SCALES: dict[str, dict[str, int]] = {
    "task_success": {
        "No - Task failed": 1,
        "No - Due to a policy issue, which the agent clearly explained": 2,
        "Partially - Some progress": 3,
        "Yes - Task completed": 4,
        "Fully - Exceeded expectations": 5,
    },
    "efficiency": {"Very inefficient - Too many steps": 1, "Somewhat inefficient": 2,
                   "About right": 3, "Very efficient": 4},
    "question_amount_preference": {"Too many": 1, "About right": 2, "Too few": 1},
    "answer_effort_time": {"High": 1, "Medium": 2, "Low": 3},
    "human_like": {"No": 1, "Partially": 2, "Yes": 3},
    "interaction_flow": {"Not smooth": 1, "OK": 2, "Smooth": 3, "Excellent": 4},
    "overall_score": {"1 (Very poor)": 1, "2 (Poor)": 2, "3 (Acceptable)": 3, "4 (Good)": 4,
                      "5 (Excellent)": 5},
    "reuse": {"Absolutely no": 1, "No": 2, "Maybe": 3, "Yes": 4, "Absolutely yes": 5},
}


def _normalize(scale: dict[str, int], value: float) -> float:
    lo, hi = min(scale.values()), max(scale.values())
    return (float(value) - lo) / (hi - lo)


def _answer(entry: dict, field: str) -> float | None:
    """The normalised answer of ``entry`` to ``field``, or None when missing or invalid."""
    survey = entry.get("survey")
    if not isinstance(survey, dict):
        return None
    item = survey.get(field)
    if not isinstance(item, dict):
        return None
    ans = item.get("answer")
    if not isinstance(ans, str) or ans not in SCALES[field]:
        return None
    return _normalize(SCALES[field], SCALES[field][ans])


def agreement(human: dict, judge: dict, rng: np.random.Generator) -> float | None:
    diffs = []
    for field, scale in SCALES.items():
        h = _answer(human, field)
        if h is None:
            continue
        m = _answer(judge, field)
        if m is None:
            m = _normalize(scale, rng.choice(sorted(set(scale.values()))))
        diffs.append(abs(h - m))
    if not diffs:
        return None
    return (1.0 - float(np.mean(diffs))) * 100.0


def mean_std(values: list[float]) -> tuple[float, float] | None:
    if not values:
        return None
    return float(np.mean(values)), float(np.std(values))


def simulator_eval(survey: dict | None, batches: list[dict[str, dict]]):
    if survey is None:
        return None
    sbatches = split_batches(survey)
    rng = np.random.default_rng(SEED)
    scores = []
    for j in range(3):
        kept = kept_of(batches[j])
        overlap = sorted(set(kept) & set(sbatches[j]))
        vals = [a for a in (agreement(kept[k], sbatches[j][k], rng) for k in overlap)
                if a is not None]
        if vals:
            scores.append(float(np.mean(vals)))
    return mean_std(scores)


def human_eval(he: dict | None, batches: list[dict[str, dict]]):
    if he is None:
        return None
    kept1 = kept_of(batches[0])
    rng = np.random.default_rng(SEED)
    vals = [a for a in (agreement(kept1[iid], e, rng) for iid, e in he.items() if iid in kept1)
            if a is not None]
    return mean_std(vals)


# --- USI (spec section 8) ----------------------------------------------------------------------

def _usi(dims: list[float], ev, e: float) -> float:
    terms = list(dims) + ([ev[0]] if ev is not None else []) + [(1.0 - e) * 100.0]
    return sum(terms) / len(terms)


def _cells(name: str, dims: list[list[float]], ev, eces: list[float], usis: list[float]):
    row: dict[str, object] = {"name": name}
    for i, cell in enumerate(CELLS[:4]):
        row[cell] = mean_std([d[i] for d in dims])
    row["eval_agree"] = ev
    row["ece"] = mean_std(eces)
    row["usi"] = mean_std(usis)
    return row


def score_simulator(name: str, data: dict, survey: dict | None, batches, rewards, diff,
                    cache: _FeatureCache) -> dict:
    runs = split_runs(data)
    maps = sim_reward_maps(data)
    run_idxs = sorted({r for per in maps.values() for r in per})
    run_maps = {r: {t: per[r] for t, per in maps.items() if r in per} for r in run_idxs}
    ev = simulator_eval(survey, batches)
    dims, eces, usis = [], [], []
    for j in range(3):
        kept = kept_of(batches[j])
        run_rows, union = [], set()
        for run in runs:
            run_kept = {k: e for k, e in run.items() if is_kept(e)}
            overlap = sorted(set(kept) & set(run_kept))
            if not overlap:
                continue
            run_rows.append(build_row([run_kept[k] for k in overlap], "llm", cache))
            union.update(overlap)
        if not run_rows:
            continue
        model = {f: float(np.mean([r[f] for r in run_rows])) for f in FEATURES}
        human = build_row([kept[k] for k in sorted(union)], "human", cache)
        d = dice_dims(human, model)
        dims.append(d)
        vals = [v for v in (ece(run_maps[r], rewards[j], diff) for r in run_idxs)
                if v is not None]
        if not vals:
            continue
        e = float(np.mean(vals))
        eces.append(e)
        usis.append(_usi(d, ev, e))
    return _cells(name, dims, ev, eces, usis)


def score_human(batches, rewards, diff, he: dict | None, cache: _FeatureCache) -> dict:
    ev = human_eval(he, batches)
    dims, eces, usis = [], [], []
    for a, b in ((0, 1), (0, 2), (1, 2)):
        ka, kb = kept_of(batches[a]), kept_of(batches[b])
        overlap = sorted(set(ka) & set(kb))
        if not overlap:
            continue
        ra = build_row([ka[k] for k in overlap], "human", cache)
        rb = build_row([kb[k] for k in overlap], "human", cache)
        d = dice_dims(ra, rb)
        dims.append(d)
        e = ece(rewards[a], rewards[b], diff)
        if e is None:
            raise PaperDeviation(f"human pair {a + 1}-{b + 1} has Dice but no ECE")
        eces.append(e)
        usis.append(_usi(d, ev, e))
    return _cells(HUMAN_ROW, dims, ev, eces, usis)


def _read(path: Path) -> dict | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def load_difficulty(difficulty) -> dict[str, float] | None:
    if difficulty is None:
        return None
    if isinstance(difficulty, dict):
        return {str(k): float(v) for k, v in difficulty.items()}
    return {str(k): float(v) for k, v in _read(Path(difficulty)).items()}


def score_release(data_dir, difficulty=None) -> list[dict]:
    """Leaderboard rows of a release folder: the human ceiling, then each simulator by name.

    ``difficulty``: None (self-pooled over every simulator file), a ``{task_key: float}``
    dict, or the path of such a JSON file.
    """
    root = Path(data_dir)
    humans = _read(root / "data" / HUMAN_FILE)
    if humans is None:
        humans = _read(root / HUMAN_FILE)
    if humans is None:
        raise FileNotFoundError(f"no {HUMAN_FILE} in {root}")
    batches = split_batches(humans)
    rewards = [human_rewards(b) for b in batches]
    sims = {}
    for path in sorted((root / "eval_results").glob("eval_results_*.json")):
        name = path.name[len("eval_results_"):-len(".json")]
        sims[name] = _read(path)
    diff = load_difficulty(difficulty)
    if diff is None:
        diff = pooled_difficulty([sim_reward_maps(d) for d in sims.values()])
    cache = _FeatureCache()
    he = _read(root / "survey_data" / HUMAN_HE_FILE)
    rows = [score_human(batches, rewards, diff, he, cache)]
    for name, data in sims.items():
        survey = _read(root / "survey_data" / f"survey_comparable_{name}.json")
        rows.append(score_simulator(name, data, survey, batches, rewards, diff, cache))
    return rows
