"""An independent reference of a batch of rollouts' USI and of each rollout's credit
(USI_SPEC §14), and of what a human reference holds (§13), from raw human sessions.

It imports NOTHING from ``usi_metric``; it builds on ``paper_reference.py`` (the independent
paper scorer: features, success, ECE bins, survey scales). What it gives:

- ``human_batches_release(dir)`` / ``human_batches_records(records)``: the people as
  ``[(label, {key: entry})]`` (key = base id of a release id, or the record's task key);
- ``batch_usi(rollouts, batches, difficulty)``: §8 for a simulator whose runs are the batch
  (the k-th rollout of a task in batch order is run k), cells ``(mean, std)`` or None;
- ``difference_brute(...)``: ``USI(B) - USI(B without i)`` by re-scoring without ``i``;
- ``surrogate_u(w, ...)`` and ``gradient_formula(...)``: the smooth surrogate ``U(w)`` of §14
  and its derivative written straight from the closed form (checked against a finite
  difference of ``U`` in the tests);
- ``reference_rows(...)``: per session, what a reference must hold (§13).

A rollout is ``(task_key, conversation, reward)``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from paper_reference import (
    DIMS,
    ECE_CUTOFFS,
    FEATURES,
    HUMAN_FILE,
    LEX,
    PERCENT,
    SCALES,
    agreement,
    conversation_features,
    is_kept,
    is_meta,
    mean_std,
    split_batches,
    success,
)

Rollout = tuple[str, list, float]
Batches = list[tuple[str, dict[str, dict]]]
D_CELLS = ("D1_conv", "D2_info", "D3_clarif", "D4_react")
BATCH_CELLS = (*D_CELLS, "eval_agree", "ece", "usi")


# --- the people ---------------------------------------------------------------------------

def read_humans(data_dir: Path) -> dict[str, dict]:
    root = Path(data_dir)
    path = root / "data" / HUMAN_FILE
    if not path.is_file():
        path = root / HUMAN_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def human_batches_release(data_dir: Path) -> Batches:
    """The release's three batches, keyed by base id (``airline_7_ann2`` -> ``airline_7``)."""
    return [(str(j + 1), b) for j, b in enumerate(split_batches(read_humans(data_dir)))]


def label_order(labels: Sequence[str]) -> list[str]:
    """Batch labels in order: numerically when all are numbers, else as strings."""
    uniq = sorted(set(labels))
    try:
        return sorted(uniq, key=float)
    except ValueError:
        return uniq


def human_batches_records(records: Sequence[dict]) -> Batches:
    """Records ``{"id","task_key","batch",...}`` as batches keyed by task key."""
    out: dict[str, dict[str, dict]] = {}
    for rec in records:
        entry = dict(rec)
        if "messages" in entry and "conversation" not in entry:
            entry["conversation"] = entry.pop("messages")
        out.setdefault(str(rec["batch"]), {})[rec["task_key"]] = entry
    return [(lab, out[lab]) for lab in label_order(list(out))]


def release_records(data_dir: Path) -> list[dict]:
    """The release's people as JSON Lines records (the form a team exports): id, task_key
    (the base id), batch (1/2/3), conversation, and reward/survey/keep when the entry has them."""
    out = []
    for iid, entry in read_humans(data_dir).items():
        if iid.endswith(("_ann2", "_ann3")):
            base, batch = iid[:-5], iid[-1]
        else:
            base, batch = iid, "1"
        rec = {"id": iid, "task_key": base, "batch": batch,
               "conversation": entry.get("conversation") or []}
        for key in ("reward", "survey", "keep"):
            if key in entry:
                rec[key] = entry[key]
        out.append(rec)
    return out


# --- a batch's USI (§14 first bullet = §8 with runs numbered by arrival) --------------------

def number_runs(rollouts: Sequence[Rollout]) -> list[int]:
    seen: dict[str, int] = {}
    out = []
    for key, _, _ in rollouts:
        seen[key] = seen.get(key, 0) + 1
        out.append(seen[key])
    return out


def _row(feats: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([f[k] for f in feats])) * (100.0 if k in PERCENT else 1.0)
            for k in FEATURES}


def _dice(h: float, m: float) -> float:
    h, m = abs(h), abs(m)
    return 1.0 if h + m == 0 else 2 * min(h, m) / (h + m)


def _dims(h_row: dict[str, float], m_row: dict[str, float]) -> list[float]:
    return [100.0 * float(np.mean([_dice(h_row[f], m_row[f]) for f in dim])) for dim in DIMS]


def bin_of(d: float) -> int:
    return next((i for i, c in enumerate(ECE_CUTOFFS) if d < c), len(ECE_CUTOFFS))


def ece_maps(sim: dict[str, int], hum: dict[str, int], diff: dict[str, float]) -> float | None:
    tasks = [t for t in sim if t in hum and t in diff]
    if not tasks:
        return None
    bins: dict[int, list[str]] = {}
    for t in tasks:
        bins.setdefault(bin_of(diff[t]), []).append(t)
    return sum(len(ts) / len(tasks) * abs(float(np.mean([sim[t] for t in ts]))
                                          - float(np.mean([hum[t] for t in ts])))
               for ts in bins.values())


def eval_of(survey: dict | None, batches: Batches) -> tuple[float, float] | None:
    """A simulator's Eval: per batch, kept keys present in the survey batch, in sorted key
    order, one generator (seed 42) across batches. ``survey`` is ``{label: {key: entry}}``."""
    if survey is None:
        return None
    rng = np.random.default_rng(42)
    scores = []
    for label, batch in batches:
        sb = survey.get(label, {})
        kept = {k: e for k, e in batch.items() if is_kept(e)}
        vals = [a for a in (agreement(kept[k], sb[k], rng) for k in sorted(set(kept) & set(sb)))
                if a is not None]
        if vals:
            scores.append(float(np.mean(vals)))
    return mean_std(scores)


TERMS = (*D_CELLS, "ece")


def term_weights(terms: Sequence[str] | None) -> tuple[list[float], float]:
    """Weights of the four D terms and of ``(1 - ECE) * 100`` in a batch's USI without Eval:
    1/5 each, or 1/T for each of the T chosen ``terms`` (issue 21: "the mean over the chosen
    terms replaces the mean over five")."""
    chosen = set(TERMS if terms is None else terms)
    assert chosen and chosen <= set(TERMS), terms
    return [1.0 / len(chosen) if c in chosen else 0.0 for c in D_CELLS], \
        (1.0 / len(chosen) if "ece" in chosen else 0.0)


def batch_usi(rollouts: Sequence[Rollout], batches: Batches, difficulty: dict[str, float],
              survey: dict | None = None, features: list | None = None,
              terms: Sequence[str] | None = None) -> dict:
    """Cells of §8 for the batch of rollouts as a simulator (each ``(mean, std)`` or None);
    ``terms`` (no survey): the ``usi`` cell is the mean over the chosen terms only."""
    assert terms is None or survey is None
    feats = features if features is not None else [conversation_features(c, "llm")
                                                    for _, c, _ in rollouts]
    runs_of = number_runs(rollouts)
    runs: dict[int, dict[str, int]] = {}
    for i, r in enumerate(runs_of):
        runs.setdefault(r, {})[rollouts[i][0]] = i
    ev = eval_of(survey, batches)
    dims, eces, usis = [], [], []
    for _, batch in batches:
        kept = {k: e for k, e in batch.items() if is_kept(e)}
        run_rows, union = [], set()
        for r in sorted(runs):
            overlap = sorted(set(runs[r]) & set(kept))
            with_f = [feats[runs[r][k]] for k in overlap if feats[runs[r][k]] is not None]
            if not with_f:
                continue
            run_rows.append(_row(with_f))
            union.update(overlap)
        if not run_rows:
            continue
        h_feats = [f for f in (conversation_features(kept[k].get("conversation") or [], "human")
                               for k in sorted(union)) if f is not None]
        if not h_feats:
            continue
        model = {f: float(np.mean([row[f] for row in run_rows])) for f in FEATURES}
        d = _dims(_row(h_feats), model)
        dims.append(d)
        hum = {k: success(e) for k, e in kept.items()}
        vals = [v for v in (ece_maps({t: success({"reward": rollouts[i][2]})
                                      for t, i in runs[r].items()}, hum, difficulty)
                            for r in sorted(runs)) if v is not None]
        if not vals:
            continue
        e = float(np.mean(vals))
        eces.append(e)
        if terms is not None:
            wd, we = term_weights(terms)
            usis.append(sum(a * v for a, v in zip(wd, d, strict=True)) + we * (1.0 - e) * 100)
            continue
        vals5 = [*d, *([ev[0]] if ev is not None else []), (1.0 - e) * 100.0]
        usis.append(sum(vals5) / len(vals5))
    out: dict[str, object] = {c: mean_std([d[i] for d in dims]) for i, c in enumerate(D_CELLS)}
    out["eval_agree"] = ev
    out["ece"] = mean_std(eces)
    out["usi"] = mean_std(usis)
    return out


def features_of(rollouts: Sequence[Rollout]) -> list[dict[str, float] | None]:
    return [conversation_features(c, "llm") for _, c, _ in rollouts]


def difference_brute(rollouts: Sequence[Rollout], batches: Batches,
                     difficulty: dict[str, float], terms: Sequence[str] | None = None,
                     feats: list | None = None) -> list[float | None]:
    """``USI(B) - USI(B without i)`` for every ``i``, re-scoring the batch without ``i``."""
    feats = feats if feats is not None else features_of(rollouts)
    full = batch_usi(rollouts, batches, difficulty, features=feats, terms=terms)["usi"]
    out: list[float | None] = []
    for i in range(len(rollouts)):
        rest = [r for k, r in enumerate(rollouts) if k != i]
        part = batch_usi(rest, batches, difficulty,
                         features=[f for k, f in enumerate(feats) if k != i], terms=terms)["usi"]
        out.append(None if full is None or part is None else full[0] - part[0])
    return out


# --- the first-order credit (§14) -----------------------------------------------------------

def _raw_mean(feats: list[dict[str, float]]) -> np.ndarray:
    return np.array([[f[k] for k in FEATURES] for f in feats], dtype=float).mean(axis=0)


def _surrogate_parts(rollouts: Sequence[Rollout], batches: Batches,
                     difficulty: dict[str, float], feats: list | None):
    feats = feats if feats is not None else features_of(rollouts)
    humans = []
    for _, batch in batches:
        kept = {k: e for k, e in batch.items() if is_kept(e)}
        h_feats = [f for f in (conversation_features(e.get("conversation") or [], "human")
                               for e in kept.values()) if f is not None]
        h = _raw_mean(h_feats)
        p = {k: success(e) for k, e in kept.items()}
        ece_idx = [i for i, (t, _, _) in enumerate(rollouts) if t in p and t in difficulty]
        humans.append((h, p, ece_idx))
    x = {i: np.array([f[k] for k in FEATURES], dtype=float)
         for i, f in enumerate(feats) if f is not None}
    s = [success({"reward": r}) for _, _, r in rollouts]
    return feats, humans, x, s


def dim_sizes() -> np.ndarray:
    return np.array([len(d) for d in DIMS for _ in d], dtype=float)


def surrogate_u(w: Sequence[float], rollouts: Sequence[Rollout], batches: Batches,
                difficulty: dict[str, float], feats: list | None = None,
                terms: Sequence[str] | None = None) -> float:
    """``U(w)`` of §14: mean over every batch of ``(D1+D2+D3+D4 + (1-ECE_j(w))*100) / 5``
    (``terms``: the mean over the chosen terms)."""
    wd, we = term_weights(terms)
    _, humans, x, s = _surrogate_parts(rollouts, batches, difficulty, feats)
    w = np.asarray(w, dtype=float)
    idx = sorted(x)
    m = (sum(w[i] * x[i] for i in idx) / sum(w[i] for i in idx)) if idx else None
    order = [f for d in DIMS for f in d]
    assert tuple(order) == FEATURES
    per_batch = []
    for h, p, ece_idx in humans:
        d_sum = 0.0
        if m is not None:
            start = 0
            for a, dim in zip(wd, DIMS, strict=True):
                sims = [_dice(h[start + k], m[start + k]) for k in range(len(dim))]
                d_sum += a * 100.0 * sum(sims) / len(dim)
                start += len(dim)
        if ece_idx:
            sums: dict[int, float] = {}
            for i in ece_idx:
                t = rollouts[i][0]
                b = bin_of(difficulty[t])
                sums[b] = sums.get(b, 0.0) + w[i] * (s[i] - p[t])
            ece_j = sum(abs(v) for v in sums.values()) / sum(w[i] for i in ece_idx)
        else:
            ece_j = 0.0
        per_batch.append(d_sum + we * (1.0 - ece_j) * 100.0)
    return float(np.mean(per_batch))


def _g(h: float, m: float) -> float:
    if h + m == 0 or m == h:
        return 0.0
    v = 2 * h / (h + m) ** 2
    return v if m < h else -v


def gradient_formula(rollouts: Sequence[Rollout], batches: Batches,
                     difficulty: dict[str, float], feats: list | None = None,
                     terms: Sequence[str] | None = None) -> list[float]:
    """``credit_i`` of §14, written term by term from the closed form (``terms``: the
    weight 1/5 of each term becomes 1/T for the T chosen ones, 0 for the others)."""
    _, humans, x, s = _surrogate_parts(rollouts, batches, difficulty, feats)
    wd, we = term_weights(terms)
    dim_w = [a for a, dim in zip(wd, DIMS, strict=True) for _ in dim]
    n = len(x)
    sizes = dim_sizes()
    m = sum(x.values()) / n if n else None
    credits = []
    for i, (t_i, _, _) in enumerate(rollouts):
        per_batch = []
        for h, p, ece_idx in humans:
            d_part = 0.0
            if m is not None and i in x:
                d_part = sum(dim_w[k] * 100.0 / sizes[k] * _g(h[k], m[k]) * (x[i][k] - m[k]) / n
                             for k in range(len(FEATURES)))
            e = 0.0
            if i in ece_idx:
                n_j = len(ece_idx)
                sums: dict[int, float] = {}
                for q in ece_idx:
                    b = bin_of(difficulty[rollouts[q][0]])
                    sums[b] = sums.get(b, 0.0) + (s[q] - p[rollouts[q][0]])
                ece_1 = sum(abs(v) for v in sums.values()) / n_j
                s_b = sums[bin_of(difficulty[t_i])]
                sign = 0.0 if s_b == 0 else math.copysign(1.0, s_b)
                e = (sign * (s[i] - p[t_i]) - ece_1) / n_j
            per_batch.append(d_part - we * 100.0 * e)
        credits.append(float(np.mean(per_batch)))
    return credits


def finite_difference(rollouts: Sequence[Rollout], batches: Batches,
                      difficulty: dict[str, float], step: float = 1e-6,
                      terms: Sequence[str] | None = None) -> list[float]:
    """Central differences of ``U`` at ``w = 1`` (a kink gives the mean of both sides: 0)."""
    feats = features_of(rollouts)
    out = []
    for i in range(len(rollouts)):
        up, down = np.ones(len(rollouts)), np.ones(len(rollouts))
        up[i] += step
        down[i] -= step
        out.append((surrogate_u(up, rollouts, batches, difficulty, feats, terms)
                    - surrogate_u(down, rollouts, batches, difficulty, feats, terms))
                   / (2 * step))
    return out


# --- what a reference holds (§13) ------------------------------------------------------

def n_turns(conversation: list[dict], source: str = "human") -> int | None:
    """All messages left after the meta ones (None when the conversation has no features)."""
    if conversation_features(conversation, source) is None:
        return None
    return sum(1 for msg in conversation if not is_meta(msg["content"], source))


def ordinals(entry: dict) -> tuple[int | None, ...]:
    """The 8 survey answers as ordinal values, None where missing or not an option."""
    survey = entry.get("survey")
    out: list[int | None] = []
    for field, scale in SCALES.items():
        item = survey.get(field) if isinstance(survey, dict) else None
        ans = item.get("answer") if isinstance(item, dict) else None
        out.append(scale[ans] if isinstance(ans, str) and ans in scale else None)
    return tuple(out)


def reference_rows(records: Sequence[dict]) -> dict[str, dict]:
    """Per id: task key, batch, keep and reward as given, the 19 features + n_turns (raw
    units, None when none), the 8 ordinals. ``records`` as ``release_records`` gives them."""
    out = {}
    for rec in records:
        conv = rec.get("conversation") or rec.get("messages") or []
        f = conversation_features(conv, "human")
        row = {"task_key": rec["task_key"], "batch": str(rec["batch"]),
               "keep": rec.get("keep", True), "reward": rec.get("reward"),
               "survey": ordinals(rec)}
        for k in FEATURES:
            row[k] = None if f is None else f[k]
        row["n_turns"] = n_turns(conv)
        out[rec["id"]] = row
    return out


def text_snippets(records: Sequence[dict], length: int = 12) -> set[str]:
    """Every ``length``-character substring of every message (the privacy check's needles).
    Substrings made only of characters that a binary format writes anyway (digits, spaces,
    punctuation of a schema) are kept: a conversation's text is never in a reference."""
    out: set[str] = set()
    for rec in records:
        for msg in rec.get("conversation") or []:
            text = msg["content"]
            for i in range(len(text) - length + 1):
                out.add(text[i:i + length])
    return out


__all__ = ["LEX", "batch_usi", "difference_brute", "finite_difference", "gradient_formula",
           "human_batches_records", "human_batches_release", "reference_rows",
           "release_records", "surrogate_u"]
