"""A toy user simulator for the training benchmark (issue 21.4): a stochastic policy with
fourteen style knobs that writes real text, read by the real featurizer.

The policy is a numpy vector ``theta`` of ``2 * K`` numbers: per knob ``k`` a base natural
parameter ``a_k`` and a difficulty slope ``b_k``; on a task of difficulty ``d`` (the published
map) the knob's natural parameter is ``eta_k = a_k + b_k * (d - D0)``. A knob is a Bernoulli
(``p = sigmoid(eta)``), a Binomial or a Poisson (``lambda = exp(eta)``) draw, so the score
function ``d log pi(rollout) / d theta`` is exact and cheap: per draw ``y - E[y]`` (times
``d - D0`` for the slope).

What makes it more than matching marginal means:

- behaviour depends on the task and its difficulty (the slopes; the environment's agent fails
  more on hard tasks, and failures raise frustration);
- knobs interact: frustration is more likely after the agent failed, pushback and accusations
  follow frustration, acknowledgement-only turns replace content turns (so they move
  ``short_msg_rate``, ``user_words_per_turn``, ``verbosity_cv`` and every per-turn rate),
  front-loading and the number of turns set ``info_frontload`` together, long filler words
  count as identifiers (the ID pattern counts any run of six letters);
- the outcome (task success, 0/1) depends on behaviour: identifiers given early help,
  hedging, pushback and short conversations hurt, and hard tasks fail more.

Every turn is fresh text: words, numbers and identifiers are drawn at random, so no two
conversations repeat. All of it is SYNTHETIC.

>>> import numpy as np
>>> toy = ToySimulator()
>>> conv, s, g = toy.rollout(toy.start(), 0.5, np.random.default_rng(0))
>>> conv[0]["role"], s in (0, 1), g.shape == toy.start().shape
('user', True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

D0 = 0.6  # the centre of the difficulty slopes

# (name, kind): kind is "binom7" (turns), "poisson" or "bern"
KNOBS: tuple[tuple[str, str], ...] = (
    ("turns", "binom7"),        # number of user turns: 1 + Binomial(7, p)
    ("length", "poisson"),      # filler words per content turn: 1 + Poisson
    ("frontload", "poisson"),   # extra words in the first turn
    ("ack", "bern"),            # a later turn is acknowledgement only
    ("polite", "bern"),         # a content turn carries a polite phrase
    ("ids", "poisson"),         # identifiers in a content turn
    ("question", "bern"),       # an information question
    ("uncertain", "bern"),      # hedging
    ("frustration", "bern"),    # an emotional phrase (more likely after a failure)
    ("pushback", "bern"),       # pushback (more likely when frustrated)
    ("certain", "bern"),        # certainty markers
    ("pivot", "bern"),          # changing course
    ("dash", "bern"),           # a formal dash
    ("clarify", "bern"),        # a clarification question
)
K = len(KNOBS)
IDX = {name: k for k, (name, _) in enumerate(KNOBS)}

# An LLM-like start: few long, polite, formal turns, no acknowledgements, no emotion.
START_BASE = {"turns": 0.0, "length": np.log(16.0), "frontload": np.log(2.0), "ack": -4.0,
              "polite": 1.0, "ids": np.log(0.4), "question": -1.2, "uncertain": -3.5,
              "frustration": -4.0, "pushback": -4.5, "certain": -1.0, "pivot": -3.5,
              "dash": -0.8, "clarify": -3.5}

FILLER = ("the", "my", "trip", "on", "for", "bag", "seat", "day", "new", "old", "card",
          "date", "time", "home", "city", "fare", "need", "to", "a", "and", "with", "last",
          "next", "week", "two", "three", "one", "back", "same", "also", "just", "it", "was",
          "we", "our", "kids", "wife", "son", "shoe", "size", "red", "blue", "gray", "item",
          "box", "mail", "hotel", "room", "plan", "cost", "north", "south", "late", "early",
          "near", "from", "this", "that", "in", "at", "by", "via", "rate", "tax", "cash",
          "fee", "miles", "gold", "pass", "name", "zip", "code", "road", "lake", "park")
LONG_FILLER = ("flight", "ticket", "return", "window", "basket", "laptop", "charger", "jacket",
               "number", "monday", "friday", "august", "denver", "boston", "address", "payment",
               "refund", "baggage", "economy", "booking")
POLITE = ("please", "thanks", "thank you", "sorry", "no worries", "pardon me", "excuse me",
          "i appreciate it")
ACK = ("ok", "okay.", "yes", "sure!", "got it", "sounds good", "go ahead", "yep", "alright",
       "perfect", "cool", "yes, thanks", "ok!", "agreed.", "that works")
QUESTION = ("how much is the {w}", "when will the {w} arrive", "what is the {w} total",
            "can you check the {w}", "how long does the {w} take", "where is my {w}",
            "what are the {w} options", "do you have a {w}")
UNCERTAIN = ("i think", "not sure but", "maybe", "probably", "i guess", "i forgot the",
             "perhaps", "if i recall")
CERTAIN = ("definitely", "of course", "for sure", "clearly", "exactly that", "always")
EMOTION = ("i am upset", "this is awful", "ugh", "i am so frustrated", "i am worried",
           "really annoyed", "this is stressful, i am anxious", "so disappointed")
ACCUSE = ("this is useless", "your fault", "unacceptable", "what a scam", "you ruined it")
PUSHBACK = ("are you sure", "that's not right", "i already told you", "try again",
            "why can't you do it", "that doesn't make sense", "check again")
PIVOT = ("actually can we", "how about the {w}", "what if we", "instead the {w}",
         "on second thought")
CLARIFY = ("what do you mean", "can you explain", "what exactly", "i don't understand")
AGENT_OK = ("I have updated the {w} for you, ref {n}.", "Done: the {w} is set ({n}).",
            "I found {n} options for the {w}.", "The {w} change is confirmed, code {n}.")
AGENT_FAIL = ("I could not find the {w} (error {n}).", "That {w} is not possible, sorry ({n}).",
              "The system rejected the {w}, ticket {n}.")


def sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    """The logistic function.

    >>> float(sigmoid(0.0))
    0.5
    """
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class _Draws:
    """Running score function of one rollout: per knob ``sum(y - E[y])`` and the same times
    ``d - D0``."""

    dc: float
    g: np.ndarray

    def add(self, k: int, y: float, mean: float) -> None:
        r = y - mean
        self.g[k] += r
        self.g[K + k] += r * self.dc


class ToySimulator:
    """The toy user simulator (module docstring); ``theta`` has ``2 * K`` entries."""

    n_params = 2 * K

    def start(self) -> np.ndarray:
        """The common starting policy (an LLM-like user: long, polite, formal, calm).

        >>> ToySimulator().start().shape
        (28,)
        """
        theta = np.zeros(2 * K)
        for name, v in START_BASE.items():
            theta[IDX[name]] = v
        return theta

    def rollout(self, theta: np.ndarray, difficulty: float, rng: np.random.Generator
                ) -> tuple[list[dict[str, str]], int, np.ndarray]:
        """One conversation on a task of this difficulty: ``(messages, success 0/1,
        d log pi / d theta)``."""
        dc = difficulty - D0
        eta = theta[:K] + theta[K:] * dc
        dr = _Draws(dc, np.zeros(2 * K))

        def bern(name: str, shift: float = 0.0) -> bool:
            k = IDX[name]
            p = float(sigmoid(eta[k] + shift))
            y = rng.random() < p
            dr.add(k, float(y), p)
            return bool(y)

        def pois(name: str, cap: float = 60.0) -> int:
            k = IDX[name]
            lam = float(min(np.exp(eta[k]), cap))
            y = int(rng.poisson(lam))
            dr.add(k, float(y), lam)
            return y

        def pick(pool: tuple[str, ...]) -> str:
            return pool[int(rng.integers(len(pool)))]

        def word() -> str:
            if rng.random() < 0.12:
                return pick(LONG_FILLER)
            if rng.random() < 0.1:
                return str(int(rng.integers(2, 9999)))
            return pick(FILLER)

        def ident() -> str:
            r = rng.random()
            if r < 0.4:
                alphabet = "abcdefghjkmnpqrstuvwxyz0123456789"
                n = int(rng.integers(6, 9))
                return "".join(alphabet[int(i)] for i in rng.integers(len(alphabet), size=n))
            if r < 0.7:
                return f"#{int(rng.integers(10000, 9999999))}"
            return f"{pick(FILLER)}_{pick(FILLER)}_{int(rng.integers(100, 99999))}"

        kt = IDX["turns"]
        p_turns = float(sigmoid(eta[kt]))
        n_user = 1 + int(rng.binomial(7, p_turns))
        dr.add(kt, float(n_user - 1), 7 * p_turns)
        p_fail = 0.12 + 0.45 * difficulty  # the environment's agent
        messages: list[dict[str, str]] = []
        fails = 0
        early_ids = hedges = pushes = 0
        for t in range(n_user):
            parts: list[str] = []
            ack = t > 0 and bern("ack", 0.8 * (fails == 0))
            if ack:
                text = pick(ACK)
            else:
                n_words = 1 + pois("length")
                if t == 0:
                    n_words += pois("frontload")
                words = [word() for _ in range(n_words)]
                if bern("polite"):
                    parts.append(pick(POLITE))
                frustrated = bern("frustration", 1.6 * fails)
                if frustrated:
                    parts.append(pick(EMOTION))
                    if rng.random() < 0.5:
                        parts.append(pick(ACCUSE))
                if t > 0 and bern("pushback", 1.5 * frustrated):
                    parts.append(pick(PUSHBACK))
                    pushes += 1
                if bern("uncertain"):
                    parts.append(pick(UNCERTAIN))
                    hedges += 1
                if bern("certain"):
                    parts.append(pick(CERTAIN))
                if t > 0 and bern("pivot"):
                    parts.append(pick(PIVOT).format(w=pick(FILLER)))
                if t > 0 and bern("clarify"):
                    parts.append(pick(CLARIFY) + " " + pick(FILLER))
                n_ids = pois("ids", 8.0) + (1 if t == 0 and rng.random() < 0.3 else 0)
                if t < 2:
                    early_ids += n_ids
                words += [ident() for _ in range(n_ids)]
                rng.shuffle(words)
                parts.append(" ".join(words))
                if bern("question"):
                    parts.append(pick(QUESTION).format(w=pick(FILLER)) + "?")
                sep = " \u2014 " if bern("dash") else ", "
                text = sep.join(parts) if len(parts) > 1 else parts[0]
            messages.append({"role": "user", "content": text})
            failed = rng.random() < p_fail * (0.7 if early_ids else 1.0)
            fails += failed
            tmpl = pick(AGENT_FAIL if failed else AGENT_OK)
            messages.append({"role": "assistant",
                             "content": tmpl.format(w=pick(FILLER), n=int(rng.integers(1e5)))})
        logit = (1.2 - 4.0 * dc + 0.45 * min(early_ids, 3) - 0.7 * hedges / n_user
                 - 0.6 * min(pushes, 2) - 0.35 * fails + 0.15 * min(n_user, 5) - 0.6)
        success = int(rng.random() < sigmoid(logit))
        return messages, success, dr.g
