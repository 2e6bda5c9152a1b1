"""A seeded generator of synthetic tau-usi releases built to break USI scorers.

``make_release(root, seed)`` writes the real layout::

    data/tau_bench_tasks_unified.json
    eval_results/eval_results_<name>.json        (several simulators)
    survey_data/survey_comparable_<name>.json    (for some of them)
    survey_data/survey_comparable_human-eval-100.json

and returns a ``{task_key: float}`` difficulty map for the ``--difficulty`` mode. What it
aims at: non-repeating English turns composed from word banks with lexicon hits (polite words,
dashes, acks, IDs, questions, pushback, emotions, pivots, agent talk), unicode that lowers
oddly, meta messages of both sources (and the other source's meta, which must stay), agent
markup, empty and featureless conversations, a trigram repeated in two letter cases, rewards
0/0.5/1/null/missing, keep true/false/null/missing, ids whose string and numeric order differ,
``telecom_N`` ids, single-run files of 169/170 entries, multi-run files of 171+ entries, a
<=170 file of run-suffixed ids (no rows, but it pools into the difficulty), surveys with
missing fields, ``no answer`` and invalid strings, ``{}`` entries and non-string answers in
every batch, and a human-eval-100 file in shuffled order.

It avoids the inputs on which the paper's scorer has a documented deviation: every id of a
multi-run file carries a run suffix, and the "core" tasks (present, kept and with features in
every batch and every run) give every human pair an ECE in both difficulty modes.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

CORE = ("airline_1", "airline_2", "airline_10", "retail_9", "retail_10")

FIRST = ["mia", "noah", "olivia", "liam", "ava", "ethan", "sofia", "lucas", "yusuf", "amelia",
         "raj", "chen", "fatima", "mateo", "isabella", "omar", "aarav", "harper", "juan", "emma"]
LAST = ["li", "garcia", "kim", "nguyen", "smith", "patel", "muller", "rossi", "silva", "khan",
        "brown", "lopez", "wilson", "ahmed", "jones", "tanaka", "ivanova", "cohen", "moore"]
CITIES = ["Boston", "Seattle", "Denver", "Atlanta", "Chicago", "Miami", "Dallas", "Phoenix",
          "Houston", "Newark", "Detroit", "Orlando", "Portland", "San Francisco", "Las Vegas",
          "Philadelphia", "Charlotte", "Minneapolis", "New York", "Los Angeles"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
ITEMS = ["water bottle", "office chair", "laptop", "desk lamp", "yoga mat", "bluetooth speaker",
         "hiking boots", "coffee maker", "backpack", "mechanical keyboard", "sunglasses",
         "t-shirt", "tea kettle", "air purifier", "skateboard", "e-reader", "smart watch",
         "vacuum cleaner", "garden hose", "wall clock", "jigsaw puzzle", "camera lens"]
COLORS = ["blue", "black", "red", "green", "white", "silver", "purple", "beige", "navy"]
CABINS = ["economy", "basic economy", "business", "first class", "premium economy"]
THINGS = ["the fee", "the change fee", "that policy", "the refund", "the layover",
          "the exchange", "the travel insurance", "the baggage allowance", "the price difference",
          "the cancellation rule", "the voucher", "the certificate", "the upgrade"]
VERBS = ["cancel it", "refund me", "change the date", "switch the item", "add a bag",
         "upgrade the seat", "move the flight", "send a replacement", "waive the fee"]

ACKS = ["ok", "Okay!", "yes.", "Yep", "sure!", "sounds good.", "go ahead", "Got it!!", "uh-huh",
        "thank you.", "Perfect, ", "alright -", "confirm", "Yes!!!", "correct", "great.", "mhm",
        "that works", "Thanks", "fine", "  OK  ", "do it.", "agreed", "no problem!", "aight",
        "o\u212aay"]  # Kelvin sign: lower() gives "okay"
NEAR_ACKS = ["ok sure", "yes please do that", "okay\u2026", "yes \U0001f44d", "sure, why not",
             "ok then", "yes - the first one", "great job"]
SHORT = ["economy", "the blue one", "no", "two bags", "nope", "credit card", "the cheaper one",
         "May 5th", "both", "just one", "the morning flight", "gift card", "not yet", "hmm",
         "the second", "yes and no", ""]

UNICODE = ["Je voudrais annuler \u2014 merci beaucoup", "the caf\u00e9 near gate B12",
           "sorry for my na\u00efve question", "I sent my r\u00e9sum\u00e9 by mistake",
           "flying to \u0130stanbul next week", "my street is Stra\u00dfe 12",
           "don\u2019t know the number honestly", "order number \u0663\u0664\u0665\u0666\u0667",
           "is\u00a0there\u00a0any\u00a0way to fix this", "zero\u200bwidth text here",
           "COMPLETELY WRONG AGAIN", "tabs\tand\nnewlines\tin here", "full\uff1fwidth question",
           "\u00c9MOTION AND \u00c5NGER"]

AGENT = ["Thank you for contacting us. How can I help you today?",
         "I'd be happy to help. Could you please provide your user ID?",
         "I have found your reservation. Would you like me to proceed with the change?",
         "The refund will be processed to your original payment method within 5-7 days.",
         "Could you confirm the order ID and the item you want to return?",
         "I'm sorry, but basic economy tickets cannot be modified according to our policy.",
         "Here are the available flights: HAT001 at 08:00 and HAT045 at 14:30.",
         "Is there anything else I can help you with?",
         "Let me check the details of your account first.",
         "The total price difference is $127.50. Shall I charge your credit card?"]
MARKUP = ["<|think|>The user wants a change; check policy first.<|/think|>",
          "<|think|>line one\nline two of thinking<|/think|>",
          "<function=get_user_details>{\"user_id\": \"%s\"}</function>",
          "<|tool|>{\"status\": \"ok\", \"items\": 3}<|/tool|>",
          "<function=search_direct_flight>{\"origin\": \"JFK\", \"destination\": \"SEA\"}"]

SURVEY_SCALES = {
    "task_success": ["No - Task failed",
                     "No - Due to a policy issue, which the agent clearly explained",
                     "Partially - Some progress", "Yes - Task completed",
                     "Fully - Exceeded expectations"],
    "efficiency": ["Very inefficient - Too many steps", "Somewhat inefficient", "About right",
                   "Very efficient"],
    "question_amount_preference": ["Too many", "About right", "Too few"],
    "answer_effort_time": ["High", "Medium", "Low"],
    "human_like": ["No", "Partially", "Yes"],
    "interaction_flow": ["Not smooth", "OK", "Smooth", "Excellent"],
    "overall_score": ["1 (Very poor)", "2 (Poor)", "3 (Acceptable)", "4 (Good)",
                      "5 (Excellent)"],
    "reuse": ["Absolutely no", "No", "Maybe", "Yes", "Absolutely yes"],
}
INVALID_STRINGS = ["no answer", "N/A", "yes", "Yes ", "", "I don't know", "4", "Good",
                   "about right", "Partially - some progress"]
NON_STRINGS = [3, None, 4.0, True, ["Yes"], {"answer": "Yes"}, 0]
SURVEY_KINDS = ("valid", "partial", "invalid", "empty_entry", "empty_survey", "non_string",
                "no_answer_key")

TURN_KINDS = ("intent", "ack", "near_ack", "short", "infoq", "clarify", "pushback", "emotion",
              "pivot", "uncertain", "certain", "agentlike", "polite", "unicode", "markup",
              "detail")


class _Text:
    """Composes fresh sentences from the word banks with a seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def pick(self, seq):
        return self.r.choice(seq)

    def uid(self) -> str:
        return f"{self.pick(FIRST)}_{self.pick(LAST)}_{self.r.randint(1000, 9999)}"

    def order(self) -> str:
        return self.pick(["#W", "W", "#w"]) + str(self.r.randint(1000000, 9999999))

    def res(self) -> str:
        return "".join(self.r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(6))

    def email(self) -> str:
        return f"{self.pick(FIRST)}.{self.pick(LAST)}{self.r.randint(1, 999)}@example.com"

    def pay(self) -> str:
        kind = self.pick(["gift_card_", "credit_card_", "paypal_"])
        return kind + str(self.r.randint(100000, 9999999))

    def date(self) -> str:
        return f"{self.pick(MONTHS)} {self.r.randint(1, 28)}"

    def ident(self) -> str:
        return self.pick([self.uid, self.order, self.res, self.email, self.pay,
                          lambda: str(self.r.randint(10000, 99999))])()

    def fill(self, template: str) -> str:
        c1, c2 = self.r.sample(CITIES, 2)
        return template.format(
            city=c1, city2=c2, date=self.date(), item=self.pick(ITEMS), color=self.pick(COLORS),
            order=self.order(), res=self.res(), uid=self.uid(), email=self.email(),
            pay=self.pay(), zip=self.r.randint(10000, 99999), cabin=self.pick(CABINS),
            thing=self.pick(THINGS), verb=self.pick(VERBS), n=self.r.randint(2, 9),
            price=f"${self.r.randint(20, 900)}", id=self.ident())

    def clause(self, kind: str) -> str:
        bank = BANKS[kind]
        return self.fill(self.pick(bank))


BANKS: dict[str, list[str]] = {
    "intent": [
        "I want to cancel my reservation {res}",
        "i need to change my flight from {city} to {city2} on {date}",
        "I'd like to return the {item} from order {order}",
        "I'm trying to exchange my {item} for a {color} one",
        "can you help me book a one-way trip from {city} to {city2} in {cabin}",
        "my user id is {uid}",
        "I want to upgrade to {cabin} for reservation {res}",
        "the {item} I got is broken and I want a refund to my {pay}",
        "my email is {email} and my zip code is {zip}",
        "Hi, I ordered a {item} last week (order {order}) and it never arrived",
        "I need to add {n} checked bags to my trip to {city2}",
        "I want to modify the shipping address for order {order} to {city}",
        "we are {n} passengers flying from {city} on {date}",
        "I was charged twice for the {item}, order {order}",
    ],
    "detail": [
        "it's {id}", "the order number is {order}", "my name is {uid}", "zip {zip}",
        "it was booked under {email}", "use the {pay} please", "the reservation is {res}",
        "I paid {price} for it", "it should be {color}", "the flight was on {date}",
        "{id} and {id}", "the one from {city} to {city2}",
    ],
    "infoq": [
        "How much is the {item}?", "what's the status of order {order}?", "When will it arrive?",
        "is there a cheaper option to {city2}?", "do you have anything earlier on {date}?",
        "how long will the refund take", "Can you check if there is a later flight to {city2}?",
        "how many bags can I bring in {cabin}?", "where is my {item} right now?",
        "What are the options for {thing}?", "how do I get {thing} back?",
        "what is the total including {thing}?", "can you tell me the price of the {item}",
    ],
    "clarify": [
        "What do you mean by {thing}?", "wait, which one?", "you said {n} bags?ok",
        "you said it was {price}? that seems high", "meaning?", "Meaning what exactly",
        "I'm confused about {thing}", "could you clarify {thing}", "sorry, what was that",
        "so you're saying I lose {thing}", "how so?", "in what way?", "what's the difference",
        "which flight is that", "could you repeat that", "i need more details on {thing}",
        "what does that include", "you mentioned {thing}?really", "wait, is that final",
    ],
    "pushback": [
        "Are you sure? I already told you my user id", "that's not right, it was {date}",
        "I already gave you the order number {order}", "why can't you just {verb}?",
        "check again please", "that doesn't make sense", "That can't be right.",
        "don't ask me for my email again", "this is nonsense", "not what I asked for",
        "you already have my details", "try again with {id}", "why would it cost {price}?",
        "I would never book {cabin}",
    ],
    "emotion": [
        "I'm so frustrated with this", "this is ridiculous", "ugh", "I'm really worried about "
        "{thing}", "that's unacceptable", "you guys ruined my trip to {city2}",
        "this feels like a scam", "what a disappointing service", "I'm anxious about missing "
        "my connection in {city}", "honestly I'm upset", "this is terrible and useless",
        "I'm annoyed, whose fault is this", "it's a shame really", "I'm not angry, just tired",
    ],
    "pivot": [
        "Actually can we {verb} instead", "I'd rather {verb}", "instead, just {verb}",
        "how about {date} then", "what if I pay with {pay}", "on second thought, {verb}",
        "is there a way to {verb}", "let's try {cabin}", "maybe we should {verb}",
        "change it to {date}", "could you just {verb}", "what about the {color} one",
        "I would prefer {cabin}",
    ],
    "uncertain": [
        "I think it was {date}", "not sure", "I don't remember the order number", "probably the "
        "{item}", "maybe {n}?", "I guess so", "I'm not sure which one", "perhaps {city2}",
        "i dont know", "if I recall it was {price}", "I can't find the email", "kind of",
    ],
    "certain": [
        "definitely the {item}", "absolutely", "of course", "I'm never flying with you again",
        "exactly that one", "I'm completely sure it was {date}", "it was clearly {price}",
        "for sure", "obviously the {color} one", "no doubt about it",
    ],
    "agentlike": [
        "How can I help you today?", "let me check my email", "would you like the number?",
        "I'll verify that on my side", "your order should say it", "thank you for your patience",
        "I see that your system shows {price}", "have you tried restarting it?",
        "I apologize for the confusion", "is there anything else I can do",
        "for security purposes I won't share that", "allow me to explain",
    ],
    "polite": [
        "please {verb}", "thank you so much", "thanks for your help", "sorry about that",
        "excuse me, one more thing", "I appreciate it", "no worries", "my apologies, it's {id}",
        "that's very kind of you", "pardon, I meant {date}", "I understand",
    ],
}


def _user_turn(t: _Text, kind: str) -> str:
    r = t.r
    if kind == "ack":
        return t.pick(ACKS)
    if kind == "near_ack":
        return t.pick(NEAR_ACKS)
    if kind == "short":
        return t.pick(SHORT)
    if kind == "unicode":
        return t.pick(UNICODE) + r.choice(["", " " + t.clause("detail")])
    if kind == "markup":
        mk = t.pick(MARKUP)
        mk = mk % t.uid() if "%s" in mk else mk
        return r.choice([mk + t.pick(ACKS), t.clause("intent") + " " + mk, mk,
                         mk + " " + t.clause("infoq")])
    parts = [t.clause(kind)]
    for _ in range(r.choice([0, 0, 1, 1, 2])):
        parts.append(t.clause(r.choice(["detail", "polite", "infoq", "uncertain", "intent"])))
    sep = r.choice([". ", ", ", " \u2014 ", " \u2013 ", " ", "! ", "\n", " - "])
    text = sep.join(parts)
    style = r.random()
    if style < 0.15:
        text = text.lower()
    elif style < 0.2:
        text = text.upper()
    return text


def _profile(r: random.Random, human: bool) -> dict[str, float]:
    weights = {k: r.uniform(0.2, 1.5) for k in TURN_KINDS}
    weights["intent"] += 1.5
    weights["detail"] += 1.0
    weights["unicode"] *= 0.3
    weights["markup"] *= 0.3
    if human:
        for k in ("ack", "short", "emotion", "near_ack"):
            weights[k] += 1.0
    else:
        weights["polite"] += 1.5
        weights["agentlike"] *= 0.5
    return weights


def _agent_msg(t: _Text) -> dict:
    text = t.pick(AGENT)
    if t.r.random() < 0.25:
        mk = t.pick(MARKUP)
        text = (mk % t.uid() if "%s" in mk else mk) + text
    return {"role": "assistant", "content": text}


def conversation(t: _Text, source: str, profile: dict[str, float], special: str = "",
                 core: bool = False) -> list:
    """A conversation of ``source`` (``human`` or ``llm``); ``special`` forces an edge case."""
    r = t.r
    conv: list[dict] = []
    if source == "human" and r.random() < 0.6:
        conv.append({"role": "user", "content": f"\\tau start task {r.randint(0, 99)}"})
    if r.random() < 0.3:
        conv.append({"role": "system", "content": "You are a helpful airline agent."})
    conv.append(_agent_msg(t))
    if special == "only_meta":
        meta = ("\\reward 1.0", " /stop ") if source == "human" else ("###STOP###", " ###STOP###\n")
        return [{"role": "user", "content": m} for m in meta]
    if special == "no_user":
        return conv + [_agent_msg(t), {"role": "tool", "content": "{\"ok\": true}"}]
    kinds, weights = list(profile), list(profile.values())
    n = r.choice([1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 10, 12])
    if special in ("repeat", "repeat_near"):
        k = 6 if special == "repeat" else 5
        turns = ["I need help"] * k + ["i need help"] * k
        turns += [_user_turn(t, r.choices(kinds, weights)[0]) for _ in range(r.randint(0, 3))]
        r.shuffle(turns)
    elif special == "empty_turns":
        turns = [m % t.uid() if "%s" in m else m
                 for m in (t.pick(MARKUP) for _ in range(r.randint(1, 3)))]
    else:
        turns = [_user_turn(t, r.choices(kinds, weights)[0]) for _ in range(n)]
    for i, text in enumerate(turns):
        role = "user"
        if not core and r.random() < 0.02:
            role = r.choice(["User", "human", "user "])
        conv.append({"role": role, "content": text})
        if r.random() < 0.15:
            conv.append({"role": "tool", "content": json.dumps({"reservation_id": t.res()})})
        if source == "human" and r.random() < 0.05:
            conv.append({"role": "user", "content": "<|highlight|> " + t.clause("detail")})
        if source == "human" and r.random() < 0.03:
            conv.append({"role": "user", "content": t.clause("intent") + " <|canvas|>"})
        if r.random() < 0.04:  # the other source's meta: a plain message here
            other = "###STOP### bye" if source == "llm" else "###STOP###"
            if source == "llm":
                other = r.choice(["/stop", "\\tau hello there", "<|canvas|> notes", other])
            conv.append({"role": "user", "content": other})
        if i < len(turns) - 1 or r.random() < 0.5:
            conv.append(_agent_msg(t))
    if source == "human":
        if r.random() < 0.7:
            conv.append({"role": "user", "content": r.choice(["/stop", " /stop", "/stop\n"])})
        if r.random() < 0.5:
            conv.append({"role": "user", "content": f"\\reward {r.choice(['0', '1', '0.5'])}"})
        if r.random() < 0.2:
            conv.append({"role": "user", "content": "<|survey|> done"})
    else:
        if r.random() < 0.8:
            conv.append({"role": "user", "content": r.choice(["###STOP###", " ###STOP###\n"])})
        elif r.random() < 0.3:
            conv.append({"role": "user", "content": "Thanks! ###STOP###"})
    return conv


def _special(r: random.Random, core: bool) -> str:
    x = r.random()
    if x < 0.03:
        return "repeat"
    if x < 0.05:
        return "repeat_near"
    if core:
        return ""
    if x < 0.065:
        return "only_meta"
    if x < 0.08:
        return "no_user"
    if x < 0.09:
        return "empty_turns"
    return ""


_MISSING = object()


def _reward(r: random.Random):
    return r.choices([0, 0.0, 1, 1.0, 0.5, None, _MISSING, 1e-9, -1.0],
                     [20, 10, 15, 25, 6, 5, 5, 2, 2])[0]


def _keep(r: random.Random, core: bool):
    if core:
        return r.choice([True, _MISSING])
    return r.choices([True, _MISSING, False, None], [80, 8, 6, 6])[0]


def _entry(t: _Text, iid: str, source: str, profile, core: bool, survey: dict | None) -> dict:
    r = t.r
    e: dict = {"instance_id": iid, "agent_id": "gpt-4o-agent",
               "conversation": conversation(t, source, profile, _special(r, core), core)}
    if survey is not None:
        e["survey"] = survey
    rew = _reward(r)
    if rew is not _MISSING:
        e["reward"] = rew
    keep = _keep(r, core)
    if keep is not _MISSING:
        e["keep"] = keep
    return e


def survey_answers(r: random.Random, kind: str) -> dict:
    """One survey entry ``{"survey": {...}}`` (or a hazard) of the given kind."""
    fields = list(SURVEY_SCALES)
    if kind == "empty_entry":
        return {}
    if kind == "empty_survey":
        return {"survey": {}}
    chosen = fields if kind == "valid" else r.sample(fields, r.randint(1, len(fields) - 1))
    out = {}
    for f in chosen:
        ans = r.choice(SURVEY_SCALES[f])
        item: dict = {"question": f"question about {f}", "answer": ans}
        if kind == "invalid" and r.random() < 0.5:
            item["answer"] = r.choice(INVALID_STRINGS)
        elif kind == "non_string" and r.random() < 0.5:
            item["answer"] = r.choice(NON_STRINGS)
        elif kind == "no_answer_key" and r.random() < 0.5:
            del item["answer"]
        out[f] = item
    return {"survey": out}


def _survey_kinds(r: random.Random, n: int) -> list[str]:
    """``n`` survey kinds: every hazard at least once (when n allows), the rest mixed."""
    kinds = list(SURVEY_KINDS)
    r.shuffle(kinds)
    rest = r.choices(SURVEY_KINDS, [45, 20, 12, 5, 5, 8, 5], k=max(0, n - len(kinds)))
    return (kinds + rest)[:n]


def _batch_of(iid: str) -> int:
    return 2 if iid.endswith("_ann2") else 3 if iid.endswith("_ann3") else 1


def _human_ids(base: str, batch: int) -> str:
    return base if batch == 1 else f"{base}_ann{batch}"


def _tasks(r: random.Random) -> tuple[list[str], list[str]]:
    """Human task bases (with the core ones) and extra simulator-only tasks."""
    airline = set(r.sample(range(0, 50), r.randint(12, 17))) | {1, 2, 10}
    retail = set(r.sample(range(0, 120), r.randint(8, 13))) | {9, 10, 100}
    telecom = {4} | set(r.sample(range(0, 12), 2))
    humans = ([f"airline_{i}" for i in sorted(airline)] + [f"retail_{i}" for i in sorted(retail)]
              + [f"telecom_{i}" for i in sorted(telecom)])
    extras = [f"airline_{i}" for i in range(50, 160)] + [f"retail_{i}" for i in range(120, 230)]
    r.shuffle(extras)
    return humans, extras


def _write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=bool(len(path.name) % 2)), encoding="utf-8")


def _shuffled(r: random.Random, d: dict) -> dict:
    items = list(d.items())
    r.shuffle(items)
    return dict(items)


def _sim_ids(r: random.Random, kind: str, humans: list[str], extras: list[str]) -> list[str]:
    """The instance ids of a simulator file of the given kind."""
    core = [h for h in humans if h in CORE]
    others = [h for h in humans if h not in CORE]
    runs = ("1", "2", "3")
    if kind in ("multi", "multi_uneven", "multi171"):
        if kind == "multi171":
            tasks = core + r.sample(others, min(len(others), 40))
            tasks += extras[:57 - len(tasks)]
            ids = [f"{tk}_{s}" for tk in tasks for s in runs]
            assert len(ids) == 171
            return ids
        tasks = core + [h for h in others if r.random() < 0.95]
        tasks += extras[:max(0, 62 - len(tasks))]
        ids = []
        for tk in tasks:
            for s in runs:
                keep_p = 1.0 if tk in CORE else (0.96 if kind == "multi" else
                                                 {"1": 0.97, "2": 0.8, "3": 0.3}[s])
                if r.random() < keep_p:
                    ids.append(f"{tk}_{s}")
        if r.random() < 0.5:  # an odd run suffix: its own run "0", and run index 4 for the ECE
            ids.append(f"{r.choice(core)}_4")
        k = 0
        while len(ids) <= 170:
            ids += [f"{extras[-1 - k]}_{s}" for s in runs]
            k += 1
        return ids
    if kind in ("single170", "single169", "tiny"):
        size = {"single170": 170, "single169": 169, "tiny": 25}[kind]
        tasks = core + [h for h in others if r.random() < (0.95 if kind != "tiny" else 0.4)]
        if kind != "tiny" and r.random() < 0.6:  # same (task, run 1) twice: last one wins
            tasks += [f"{c}_1" for c in r.sample(core, 2)]
        tasks += extras[:max(0, size - len(tasks))]
        return tasks[:size] if kind == "tiny" else tasks
    if kind == "suffixed":  # <= 170 entries, run suffixes: one run, no id shared with humans
        tasks = core + [h for h in others if r.random() < 0.9]
        ids = [f"{tk}_{s}" for tk in tasks for s in runs]
        return ids[:170]
    raise ValueError(kind)


SIM_NAMES = ["gpt-5.1", "DeepSeek-V3.1", "gemini-2.0-flash", "UserLM-8b", "qwen3_32b",
             "claude.sonnet-4", "llama-3.3-70b"]


def make_release(root: Path, seed: int) -> dict[str, float]:
    """Write a release under ``root``; return a difficulty map ``{task_key: float}``."""
    r = random.Random(seed)
    t = _Text(r)
    humans, extras = _tasks(r)

    human_profile = _profile(r, human=True)
    hum: dict[str, dict] = {}
    present: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for base in humans:
        for batch, p in ((1, 0.97), (2, 0.9), (3, 0.85)):
            if base in CORE or r.random() < p:
                present[batch].append(base)
    for batch in (1, 2, 3):
        kinds = _survey_kinds(r, len(present[batch]))
        kinds = [k if r.random() < 0.8 else "valid" for k in kinds]
        for base, kind in zip(present[batch], kinds, strict=True):
            iid = _human_ids(base, batch)
            sv = survey_answers(r, kind)
            hum[iid] = _entry(t, iid, "human", human_profile, base in CORE, sv.get("survey"))
    _write(root / "data" / "tau_bench_tasks_unified.json", _shuffled(r, hum))

    kinds = ["multi", "multi171" if seed % 2 else "multi_uneven",
             "single170" if seed % 2 else "single169", "suffixed"]
    kinds.append(r.choice(["tiny", "single169" if seed % 2 else "single170", "multi_uneven"]))
    names = r.sample(SIM_NAMES, len(kinds))
    with_survey = set(r.sample(names, 3))
    for name, kind in zip(names, kinds, strict=True):
        profile = _profile(r, human=False)
        ids = _sim_ids(r, kind, humans, extras)
        sim = {}
        for iid in ids:
            base = iid.rsplit("_", 1)[0] if iid.rsplit("_", 1)[0] in humans else iid
            sim[iid] = _entry(t, iid, "llm", profile, base in CORE, None)
        for iid in ids:  # ids that are the same run of a task as another id (airline_1 and
            # airline_1_1 in a single-run file) share its outcome: the paper keeps the last
            # one, which is order-dependent, and usi-metric refuses colliding outcomes
            twin = iid[:-2] if iid.endswith("_1") else None
            if twin in sim and kind not in ("multi", "multi_uneven", "multi171", "suffixed"):
                sim[iid]["reward"] = sim[twin].get("reward")
                if "keep" in sim[twin]:
                    sim[iid]["keep"] = sim[twin]["keep"]
                else:
                    sim[iid].pop("keep", None)
        _write(root / "eval_results" / f"eval_results_{name}.json", _shuffled(r, sim))
        if name in with_survey:
            hids = [i for i in hum if r.random() < 0.9] + ["airline_999", "retail_5_ann4"]
            skinds = {}
            for batch in (1, 2, 3):
                batch_ids = [i for i in hids if _batch_of(i) == batch]
                skinds.update(zip(batch_ids, _survey_kinds(r, len(batch_ids)), strict=True))
            survey = {i: survey_answers(r, skinds[i]) for i in hids}
            _write(root / "survey_data" / f"survey_comparable_{name}.json", _shuffled(r, survey))

    b1 = present[1]
    he_ids = [b for b in b1 if r.random() < 0.7] + [f"{b}_ann2" for b in r.sample(present[2], 3)]
    he_ids.append("airline_777")
    r.shuffle(he_ids)
    he = {}
    for i, kind in zip(he_ids, _survey_kinds(r, len(he_ids)), strict=True):
        he[i] = survey_answers(r, kind)
    _write(root / "survey_data" / "survey_comparable_human-eval-100.json", he)

    values = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 0.19999999999999998, 0.6000000000000001, 0.7999999]
    diff = {}
    for task in humans + extras[:80] + ["airline_4242"]:
        if task in CORE or r.random() < 0.85:
            diff[task] = r.choice(values) if r.random() < 0.4 else round(r.random(), 6)
    return diff
