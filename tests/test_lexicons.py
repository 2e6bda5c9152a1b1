"""Hand-written tests of the 14 USI lexicons (docs/features.md, ``usi_lexicons.json``).

Every lexicon is applied exactly as the JSON's ``how`` says:
- search on the lower-cased stripped text (most lexicons),
- DASH: search on the stripped, NOT lowered text,
- ACK: ``match`` at the start of the lower-cased text after ``str.strip()``,
- ID: ``findall`` count of non-overlapping matches on the lower-cased text,
- AGENT_MARKUP: ``sub`` with '' on the raw content (DOTALL).

Positive and negative examples are given per alternative group of each pattern; a negative is a
near miss that must not match ANY alternative of its lexicon.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from usi_metric.features.lexicons import LEXICON_NAMES, LEXICONS

SHIPPED_JSON = Path(__file__).resolve().parents[1] / "usi_metric" / "data" / "lexicons.json"
SHARED_JSON = Path(__file__).resolve().parents[2] / "shared" / "usi_lexicons.json"

# sha256 of the shipped lexicons.json bytes (identical to shared/usi_lexicons.json when written).
SHIPPED_JSON_SHA256 = "6e7c16d477aad1a84fa771dff15e0a6e4ad50429a4f8fd69a22f52c7c240322b"

# sha256 of each pattern string (UTF-8). A failing pin means the metric changed.
PATTERN_SHA256 = {
    "POLITE": "d01e8c1a80cfea40bf2603c9aa7f29ed44afffd7ab5a8a2fc45281c41d1f1cf0",
    "EMOTION": "5e32565e5ce8018c2010f99a04130fc310cea366e79f5bc75dd27b5338fa9192",
    "DASH": "f660ceda05f8ed822ef14c84ab1e5b25a99ffbcef72139196d9e6811aa0d724f",
    "ACK": "33544592921d7caed6c95286c17c12f740edaf6b7479ba7c9727bb0a4088d461",
    "ID": "2043bf6f31295c25be4c17f7606e5515a60a765c8ec624eabe975133ade8f558",
    "UNCERTAIN": "eb0e956af7d5fca543e412635cdcec7a42e5958ec383c94426b45cb087781878",
    "CERTAIN": "a93299add763088a29c623afeba6aa1aba6e8bd3ad3df50bc4a2672a714f7874",
    "PUSHBACK": "1c07c39afd00f561fd334b7501762d93f1d3880d4e09375612c43416f7d53ed4",
    "CLARIFY": "d377f698bf09249f924c381f96d5e924f0bdc7dac5d1a41e7d42e3c709f9163d",
    "INFOQ": "87de62d7cb2b9dd11c7a09457f372b3ffec1c310be3ff7953e036ef40143bb40",
    "ACCUSE": "d20887ed3428daa13d1500ed31a9de12000c11017569a0a30c102355a50fa17c",
    "PIVOT": "2845d42cd9071c701383ac131334d9021f0cb26dcc9b9e733ca10ac8ef0cdafd",
    "ID_CONFUSE": "b95431824c0a4b9f16b9562b103457a1ee6d6ac9213666d6359c70e224f78be5",
    "AGENT_MARKUP": "bb6477b2d256718c0cf968e1e332226b3694ffba5bd686208bd0ac4537e79112",
}

METRIC_CHANGE = "a change to a lexicon is a change of metric"


def hits(name: str, text: str) -> bool:
    """A 'search' lexicon applied as the JSON says (DASH on un-lowered text)."""
    if name == "DASH":
        return LEXICONS["DASH"].search(text.strip()) is not None
    return LEXICONS[name].search(text.strip().lower()) is not None


def is_ack(text: str) -> bool:
    return LEXICONS["ACK"].match(text.lower().strip()) is not None


def id_count(text: str) -> int:
    return len(LEXICONS["ID"].findall(text.lower()))


def unmark(text: str) -> str:
    return LEXICONS["AGENT_MARKUP"].sub("", text)


# --------------------------------------------------------------------------------------------
# Data pins
# --------------------------------------------------------------------------------------------


def test_all_fourteen_lexicons_are_loaded() -> None:
    assert len(LEXICON_NAMES) == 14
    assert set(LEXICONS) == set(LEXICON_NAMES) == set(PATTERN_SHA256)


def test_shipped_json_equals_shared_copy() -> None:
    shipped = SHIPPED_JSON.read_bytes()
    if SHARED_JSON.exists():
        assert json.loads(shipped) == json.loads(SHARED_JSON.read_bytes()), METRIC_CHANGE
    else:
        assert hashlib.sha256(shipped).hexdigest() == SHIPPED_JSON_SHA256, METRIC_CHANGE


@pytest.mark.parametrize("name", sorted(PATTERN_SHA256))
def test_pattern_sha256_is_pinned(name: str) -> None:
    digest = hashlib.sha256(LEXICONS[name].pattern.encode("utf-8")).hexdigest()
    assert digest == PATTERN_SHA256[name], f"{name}: {METRIC_CHANGE}"


def test_patterns_equal_the_shipped_json_and_flags() -> None:
    data = json.loads(SHIPPED_JSON.read_text(encoding="utf-8"))
    for name in LEXICON_NAMES:
        assert LEXICONS[name].pattern == data[name]["pattern"], f"{name}: {METRIC_CHANGE}"
        # Only AGENT_MARKUP has a flag (DOTALL); re.UNICODE is Python's default for str.
        want = re.DOTALL if name == "AGENT_MARKUP" else 0
        assert LEXICONS[name].flags & ~re.UNICODE == want, f"{name}: {METRIC_CHANGE}"
        assert not LEXICONS[name].flags & re.IGNORECASE, f"{name}: {METRIC_CHANGE}"


def test_patterns_are_case_sensitive_so_lowering_matters() -> None:
    # The patterns are lower-case and compiled without IGNORECASE: the caller lowers the text.
    assert LEXICONS["POLITE"].search("THANKS") is None
    assert hits("POLITE", "THANKS")
    assert LEXICONS["ID"].findall("ABC123") == []
    assert id_count("ABC123") == 1


# --------------------------------------------------------------------------------------------
# Search lexicons: (lexicon, alternative group, positives, negatives)
# --------------------------------------------------------------------------------------------

SEARCH_CASES: list[tuple[str, str, list[str], list[str]]] = [
    # POLITE
    ("POLITE", "please", ["Could you please hurry"], ["i am pleased with it"]),
    ("POLITE", "thank you", ["Thank you so much"], ["thankyou so much"]),
    ("POLITE", "thanks", ["thanks a lot", "ok,thanks"], ["thanksgiving plans"]),
    ("POLITE", "sorry", ["sorry about that"], ["a sorrowful day"]),
    ("POLITE", "excuse me", ["excuse me, one thing"], ["excuse my french"]),
    ("POLITE", "appreciate", ["i appreciate it"], ["it is appreciated"]),
    ("POLITE", "grateful", ["i am grateful"], ["an ungrateful agent"]),
    ("POLITE", "kind of you", ["that is kind of you"], ["that kind of thing"]),
    ("POLITE", "wonderful", ["wonderful news"], ["wonderfully done"]),
    ("POLITE", "courteous", ["you were courteous"], ["that was discourteous"]),
    ("POLITE", "considerate", ["very considerate"], ["how inconsiderate"]),
    ("POLITE", "i understand", ["ok i understand"], ["i understood that"]),
    ("POLITE", "no worries", ["no worries at all"], ["no worry at all"]),
    ("POLITE", "my apologies", ["my apologies for that"], ["apologies for that"]),
    ("POLITE", "pardon", ["pardon?"], ["he was pardoned"]),
    # DASH (un-lowered text; em dash U+2014, en dash U+2013 only)
    ("DASH", "em dash", ["fine \u2014 go", "A\u2014B"], ["fine - go", "fine -- go"]),
    (
        "DASH",
        "en dash",
        ["2\u20133 bags", "Fine \u2013 Go"],
        ["2\u20123 (figure dash)", "5 \u2212 3 (minus)", "x\u2010y (hyphen)", "x\u2015y (bar)"],
    ),
    # UNCERTAIN
    ("UNCERTAIN", "i think", ["i think so"], ["we think so"]),
    ("UNCERTAIN", "not sure", ["not sure about that"], ["not surely"]),
    ("UNCERTAIN", "i don'?t remember", ["i don't remember it", "i dont remember it"],
     ["i do remember it", "i don\u2019t remember it"]),  # curly apostrophe is not '
    ("UNCERTAIN", "i don'?t recall", ["i don't recall", "i dont recall"], ["i do recall"]),
    ("UNCERTAIN", "i believe", ["i believe so"], ["i believed him"]),
    ("UNCERTAIN", "probably", ["probably tuesday"], ["a probable cause"]),
    ("UNCERTAIN", "maybe", ["maybe tuesday"], ["it may be tuesday"]),
    ("UNCERTAIN", "i forgot", ["i forgot the number"], ["i forgive you"]),
    ("UNCERTAIN", "don'?t know", ["we don't know", "dont know"], ["we do know", "don\u2019t know"]),
    ("UNCERTAIN", "i guess", ["i guess so"], ["i guessed it"]),
    ("UNCERTAIN", "i'?m not sure", ["i'm not sure", "im not sure"], ["i'm sure"]),
    ("UNCERTAIN", "if i recall", ["if i recall correctly"], ["if i recalled it"]),
    ("UNCERTAIN", "i don'?t have", ["i don't have it", "i dont have it"], ["i do have it"]),
    ("UNCERTAIN", "can'?t recall", ["can't recall it", "cant recall it"], ["can recall it"]),
    ("UNCERTAIN", "can'?t find", ["can't find it", "cant find it"], ["can find it"]),
    ("UNCERTAIN", "i'?m unsure", ["i'm unsure", "im unsure"], ["he is unsure"]),
    ("UNCERTAIN", "i might", ["i might"], ["you might"]),
    ("UNCERTAIN", "perhaps", ["perhaps later"], ["perhap later"]),
    ("UNCERTAIN", "apparently", ["apparently not"], ["an apparent cause"]),
    ("UNCERTAIN", "sort of", ["sort of"], ["all sorts of"]),
    ("UNCERTAIN", "kind of", ["kind of", "that is kind of you"], ["all kinds of"]),
    ("UNCERTAIN", "somewhat", ["somewhat late"], ["somewhere late"]),
    ("UNCERTAIN", "partly", ["partly true"], ["a partial truth"]),
    ("UNCERTAIN", "possibly", ["possibly"], ["possible"]),
    ("UNCERTAIN", "vaguely", ["vaguely"], ["vague"]),
    ("UNCERTAIN", "roughly", ["roughly 5"], ["rough day"]),
    ("UNCERTAIN", "hesitant", ["hesitant"], ["do not hesitate"]),
    ("UNCERTAIN", "doubtful", ["doubtful"], ["i doubt it"]),
    ("UNCERTAIN", "confused", ["confused"], ["confusing"]),
    ("UNCERTAIN", "uncertain", ["uncertain"], ["uncertainty"]),
    ("UNCERTAIN", "dunno", ["dunno"], ["dun"]),
    # CERTAIN
    ("CERTAIN", "definitely", ["definitely yes"], ["a definite yes"]),
    ("CERTAIN", "absolutely", ["absolutely"], ["absolute zero"]),
    ("CERTAIN", "certainly", ["certainly"], ["i am certain"]),
    ("CERTAIN", "exactly", ["exactly that"], ["the exact date"]),
    ("CERTAIN", "precisely", ["precisely"], ["precise"]),
    ("CERTAIN", "clearly", ["clearly wrong"], ["clear skies"]),
    ("CERTAIN", "always", ["i always fly"], ["i fly all ways"]),
    ("CERTAIN", "never", ["never again"], ["nevermind"]),
    ("CERTAIN", "completely", ["completely"], ["complete"]),
    ("CERTAIN", "entirely", ["entirely"], ["entire"]),
    ("CERTAIN", "fully", ["fully booked"], ["full flight"]),
    ("CERTAIN", "obvious", ["it is obvious"], ["obviousness"]),
    ("CERTAIN", "obviously", ["obviously"], ["not obvi"]),
    ("CERTAIN", "undoubtedly", ["undoubtedly"], ["undoubted"]),
    ("CERTAIN", "without a doubt", ["without a doubt"], ["without doubt"]),
    ("CERTAIN", "for sure", ["for sure"], ["sure"]),
    ("CERTAIN", "of course", ["of course"], ["of courses"]),
    ("CERTAIN", "guaranteed", ["guaranteed"], ["a guarantee"]),
    ("CERTAIN", "no doubt", ["no doubt"], ["no doubts"]),
    # EMOTION
    *[
        ("EMOTION", word, [f"honestly {word} here"], [f"honestly {near} here"])
        for word, near in [
            ("frustrated", "frustrating"),
            ("upset", "upsetting"),
            ("angry", "angrily"),
            ("confused", "confusing"),
            ("worried", "worries"),
            ("annoyed", "annoying"),
            ("furious", "fury"),
            ("ridiculous", "ridicule"),
            ("terrible", "terribly"),
            ("horrible", "horribly"),
            ("awful", "awfully"),
            ("ugh", "though"),
            ("stressed", "stress"),
            ("anxious", "anxiety"),
            ("nervous", "nervously"),
            ("uncomfortable", "comfortable"),
            ("panic", "panicked"),
            ("disappointed", "disappointment"),
            ("disappointing", "disappoint"),
            ("irritated", "irritate"),
            ("irritating", "irritation"),
            ("aggravated", "aggravate"),
            ("outraged", "outrage"),
            ("outrageous", "outrageously"),
            ("exasperated", "exasperating"),
            ("bothered", "bother"),
            ("disgusted", "disgusting"),
            ("miserable", "misery"),
            ("devastated", "devastating"),
            ("heartbroken", "heartbreak"),
            ("desperate", "desperately"),
        ]
    ],
    # ACCUSE
    *[
        ("ACCUSE", word, [f"well, {word}!"], [f"well, {near}!"])
        for word, near in [
            ("blame", "blamed"),
            ("fault", "faulty"),
            ("ridiculous", "ridicule"),
            ("wrong", "wrongly"),
            ("useless", "useful"),
            ("incompetent", "competent"),
            ("failure", "fail"),
            ("misleading", "mislead"),
            ("irresponsible", "responsible"),
            ("unacceptable", "acceptable"),
            ("disgrace", "disgraceful"),
            ("insult", "insulted"),
            ("scam", "scammed"),
            ("shame", "shameful"),
            ("stupid", "stupidity"),
            ("trouble", "troubled"),
            ("disappointing", "disappointed"),
            ("ruined", "ruin"),
        ]
    ],
    # PUSHBACK
    ("PUSHBACK", "are you sure", ["are you sure?"], ["you are sure"]),
    ("PUSHBACK", "that'?s (not right|wrong|incorrect|not what)",
     ["that's not right", "thats wrong", "that's incorrect", "that's not what i booked"],
     ["that's right", "that is wrong"]),
    ("PUSHBACK", "i already (told|said|gave|provided|mentioned)",
     ["i already told you", "i already said", "i already gave it", "i already provided it",
      "i already mentioned it"],
     ["i already paid"]),
    ("PUSHBACK", "you already (asked|have)", ["you already asked", "you already have it"],
     ["you already know"]),
    ("PUSHBACK", "try again", ["please try again"], ["try it again"]),
    ("PUSHBACK", "check again", ["check again"], ["check it again"]),
    ("PUSHBACK", "that can'?t be (right|correct)",
     ["that can't be right", "that cant be correct"], ["that can be right"]),
    ("PUSHBACK", "that'?s (crazy|nonsense|ridiculous|absurd)",
     ["that's crazy", "thats nonsense", "that's ridiculous", "that's absurd"],
     ["this is crazy"]),
    ("PUSHBACK", "this is (not fair|nonsense)", ["this is not fair", "this is nonsense"],
     ["this is fair"]),
    ("PUSHBACK", "why (can'?t|won'?t|didn'?t|isn'?t|aren'?t|would)",
     ["why can't i", "why cant i", "why won't it", "why didnt it", "why isn't it",
      "why arent they", "why would i"],
     ["why can i", "why not"]),
    ("PUSHBACK", "doesn'?t (seem|sound|look|make sense)",
     ["it doesn't seem right", "doesnt sound right", "doesn't look right",
      "doesn't make sense"],
     ["it doesn't matter", "it does seem right"]),
    ("PUSHBACK", "not what i (asked|said|meant|wanted)",
     ["not what i asked", "not what i said", "not what i meant", "not what i wanted"],
     ["not what i need"]),
    # `ask me .* again` needs a space on both sides of `.*`: "don't ask me again" does not match.
    ("PUSHBACK", "do(n'?t| not) ask me .* again",
     ["don't ask me that again", "dont ask me for it again", "do not ask me  again"],
     ["don't ask me again", "do ask me that again"]),
    ("PUSHBACK", "i would never", ["i would never do that"], ["i would not do that"]),
    # CLARIFY
    ("CLARIFY", "what do you mean", ["what do you mean by that"], ["what do you need"]),
    ("CLARIFY", "what does that mean", ["what does that mean"], ["what does that cost"]),
    ("CLARIFY", "what did you mean", ["what did you mean"], ["what did you do"]),
    ("CLARIFY", "could you (clarify|elaborate|specify)",
     ["could you clarify", "could you elaborate", "could you specify"], ["could you confirm"]),
    ("CLARIFY", "can you (explain|clarify|elaborate)",
     ["can you explain", "can you clarify", "can you elaborate"], ["can you confirm"]),
    ("CLARIFY", "i don'?t understand / i dont understand",
     ["i don't understand", "i dont understand"], ["i understand", "i do understand"]),
    # "what is the difference" is not a CLARIFY alternative (it is INFOQ's "what is the").
    ("CLARIFY", "what'?s the difference / whats the difference",
     ["what's the difference", "whats the difference"], ["what is the difference"]),
    ("CLARIFY", "what exactly", ["what exactly happened"], ["what, exactly"]),
    ("CLARIFY", "what specifically", ["what specifically"], ["what specific"]),
    ("CLARIFY",
     "which (one|reservation|...|product) (is|was|do|should|did|would)",
     ["which one is it", "which reservation was it", "which order do you", "which flight should",
      "which option did", "which plan would", "which account is", "which item was",
      "which product do"],
     ["which one?", "which seat is it", "which one are"]),
    ("CLARIFY", "i'?m not sure which / im not sure which",
     ["i'm not sure which", "im not sure which"], ["i'm not sure what"]),
    ("CLARIFY", "which is which", ["which is which"], ["which is it"]),
    # `.{0,30}\?` then `\b`: a word character must come right after the '?'.
    ("CLARIFY", "you (said|mentioned|told me|wrote|indicated) .{0,30}\\?",
     ["you said 5 bags?ok", "you mentioned a fee?what", "you told me x?y", "you wrote it?hm",
      "you indicated that?so", "you said " + "a" * 30 + "?ok"],
     ["you said 5 bags?", "you said 5 bags? ok", "you said 5 bags ok", "you told us x?y",
      "you said " + "a" * 31 + "?ok"]),
    ("CLARIFY", "that mean", ["does that mean"], ["that means a lot"]),
    ("CLARIFY", "what does that (involve|include|entail|look like)",
     ["what does that involve", "what does that include", "what does that entail",
      "what does that look like"],
     ["what does that look"]),
    ("CLARIFY", "(sorry|wait),? (what|which|how|i don'?t)",
     ["sorry, what", "wait which", "sorry how", "wait, i don't", "sorry i dont"],
     ["sorry about that", "wait for it"]),
    ("CLARIFY", "can you (be more specific|give me more detail|break that down|walk me through)",
     ["can you be more specific", "can you give me more detail", "can you break that down",
      "can you walk me through"],
     ["can you be quick", "can you give me more details"]),
    ("CLARIFY", "i'?m (confused|lost) / im (confused|lost)",
     ["i'm confused", "im lost", "i'm lost", "im confused"], ["i'm fine"]),
    ("CLARIFY", "(how|what) (exactly|specifically) (does|do|is|...)",
     ["how exactly does it work", "how specifically would", "how exactly should"],
     ["how exactly"]),
    ("CLARIFY", "could you (repeat|say) that / can you (repeat|say) that",
     ["could you repeat that", "could you say that", "can you repeat that", "can you say that"],
     ["could you repeat the number"]),
    ("CLARIFY", "what (is|are) the (options|choices|alternatives|details)",
     ["what are the options", "what is the choices", "what are the alternatives",
      "what are the details"],
     ["what are the fees"]),
    ("CLARIFY", "i need (more|some) (info|information|details|clarification)",
     ["i need more info", "i need some information", "i need more details",
      "i need some clarification"],
     ["i need more time", "i need more detail"]),
    ("CLARIFY", "(so|wait),? (you'?re saying|does that mean|is that)",
     ["so you're saying", "so youre saying", "wait, does that mean", "so is that right"],
     ["so that's it"]),
    # `meaning\??`: the '?' branch needs a following word char, but the empty branch does not,
    # so "meaning?" at the end of a text still matches (on "meaning").
    ("CLARIFY", "meaning\\??", ["meaning it is late", "meaning?", "meaning?x"], ["meanings"]),
    ("CLARIFY", "how so\\??", ["how so?", "how so"], ["how soon"]),
    ("CLARIFY", "in what (way|sense)\\??", ["in what way?", "in what sense"], ["in what ways"]),
    # INFOQ
    ("INFOQ", "what is (the|my)", ["what is the fee", "what is my balance"], ["what is it"]),
    ("INFOQ", "what'?s (the|my)", ["what's the fee", "whats my seat"],
     ["what's up", "what\u2019s the fee"]),  # curly apostrophe: neither alternative
    ("INFOQ", "how much", ["how much"], ["so much"]),
    ("INFOQ", "how many", ["how many bags"], ["so many bags"]),
    ("INFOQ", "when (will|does|is|can|did)",
     ["when will it", "when does it", "when is it", "when can i", "when did it"],
     ["when was it"]),
    ("INFOQ", "where (is|are|was|can)", ["where is it", "where are they", "where was it",
                                          "where can i"], ["where were they"]),
    ("INFOQ", "how (do|can|would|should) i",
     ["how do i", "how can i", "how would i", "how should i"], ["how do you"]),
    ("INFOQ", "what are (the|my)", ["what are the fees", "what are my bags"], ["what are they"]),
    ("INFOQ", "can you (check|tell|find|look|see|show|help|list)",
     ["can you check", "can you tell", "can you find", "can you look", "can you see",
      "can you show", "can you help", "can you list"],
     ["can you book"]),
    ("INFOQ", "do you (have|know|see)", ["do you have", "do you know", "do you see"],
     ["do you want"]),
    # `is (there|it|that) (a |any )?\b`: a space after the word and then a word character.
    ("INFOQ", "is (there|it|that) (a |any )?",
     ["is there a flight", "is there any seat", "is it possible", "is that correct",
      "is there a"],
     ["is it?", "is that?", "is there?", "this is it"]),
    ("INFOQ", "what options", ["what options do i have"], ["what option"]),
    ("INFOQ", "how long", ["how long will it take"], ["so long"]),
    # `what.s the (...)`: any character between "what" and "s" (here a curly apostrophe).
    ("INFOQ", "what.s the (status|price|cost|total|balance)",
     ["what\u2019s the status", "what\u2019s the price", "what\u2019s the cost",
      "what\u2019s the total", "what\u2019s the balance"],
     ["what\u2019s the fee"]),
    # PIVOT
    ("PIVOT", "(wait|actually) (can|let|could|would)",
     ["wait can i", "actually let me", "actually could you", "wait would it"],
     ["actually, can i", "actually no"]),
    ("PIVOT", "i('?d| would) (like|prefer|rather)",
     ["i'd like", "id prefer", "i would rather"], ["i like it", "i would love it"]),
    ("PIVOT", "(can you|can we|could you) just",
     ["can you just", "can we just", "could you just"], ["could we just"]),
    ("PIVOT", "instead", ["do that instead"], ["in stead"]),
    ("PIVOT", "rather than", ["rather than that"], ["other than that"]),
    ("PIVOT", "how about", ["how about monday"], ["how is monday"]),
    ("PIVOT", "what about", ["what about monday"], ["what is monday"]),
    ("PIVOT", "what if", ["what if i stay"], ["what of it"]),
    ("PIVOT", "on second thought", ["on second thought"], ["on second thoughts"]),
    ("PIVOT", "is there (a |any |another )?way to",
     ["is there a way to", "is there any way to", "is there another way to",
      "is there way to"],
     ["is there a chance to", "is there another option"]),
    ("PIVOT", "(let'?s|can we|lets) (try|do|go with|switch|change)",
     ["let's try", "lets do it", "can we go with b", "let's switch", "can we change it"],
     ["let's see", "let us try"]),
    ("PIVOT", "maybe (we|i|you) (should|could|can)",
     ["maybe we should", "maybe i could", "maybe you can"], ["maybe they should"]),
    ("PIVOT", "(change|switch|try) (it |that )?(to|something|a different)",
     ["change it to friday", "switch to economy", "try something else",
      "try a different card", "change that to 5"],
     ["change it", "switch it off"]),
    # ID_CONFUSE
    ("ID_CONFUSE", "how can i (help|assist)", ["how can i help", "how can i assist you"],
     ["how can i pay"]),
    ("ID_CONFUSE", "how may i (help|assist)", ["how may i help", "how may i assist"],
     ["how may i pay"]),
    ("ID_CONFUSE", "what can i (do|help|assist) (for|with)",
     ["what can i do for you", "what can i help with", "what can i assist with"],
     ["what can i do now"]),
    ("ID_CONFUSE", "do you (want|require|wish|prefer)",
     ["do you want", "do you require", "do you wish", "do you prefer"], ["do you have"]),
    ("ID_CONFUSE", "would you (like|prefer)", ["would you like", "would you prefer"],
     ["would you mind"]),
    ("ID_CONFUSE", "let me (check|look|verify|find|pull up|search|assist|help)",
     ["let me check", "let me look", "let me verify", "let me find", "let me pull up",
      "let me search", "let me assist", "let me help"],
     ["let me know"]),
    ("ID_CONFUSE", "i('?ll| will) (check|look into|verify|process|handle|assist|help)",
     ["i'll check", "ill look into it", "i will verify", "i'll process", "i will handle",
      "i'll assist", "i will help"],
     ["i'll wait", "i will look at it"]),
    ("ID_CONFUSE", "i('?m| am) (happy|glad|here) to (help|assist)",
     ["i'm happy to help", "im glad to assist", "i am here to help"], ["i'm happy to pay"]),
    ("ID_CONFUSE", "is there anything else i can",
     ["is there anything else i can do"], ["is there anything else"]),
    ("ID_CONFUSE", "thank you for (calling|contacting|reaching|choosing|your patience)",
     ["thank you for calling", "thank you for contacting", "thank you for reaching out",
      "thank you for choosing us", "thank you for your patience"],
     ["thank you for your help"]),
    ("ID_CONFUSE", "for (security|verification) (purposes|reasons)",
     ["for security purposes", "for verification reasons"], ["for security"]),
    ("ID_CONFUSE", "(may|could) i (verify)", ["may i verify", "could i verify"],
     ["can i verify"]),
    ("ID_CONFUSE", "allow me to", ["allow me to explain"], ["allow me"]),
    ("ID_CONFUSE", "permit me to", ["permit me to explain"], ["permit me"]),
    ("ID_CONFUSE", "your (order|account|...|inquiry)",
     ["your order", "your account", "your reservation", "your booking", "your request",
      "your ticket", "your case", "your inquiry"],
     ["my order", "your orders"]),
    ("ID_CONFUSE", "i (see|understand) (that|your)", ["i see that", "i understand your"],
     ["i see.", "i understand"]),
    ("ID_CONFUSE", "according to (our|the) (records|system|policy)",
     ["according to our records", "according to the system", "according to the policy"],
     ["according to my records"]),
    ("ID_CONFUSE", "(our|the) (policy|system|records) (shows?|indicates?)",
     ["the policy shows", "our system indicates", "the records show", "our records indicate"],
     ["the system is down"]),
    ("ID_CONFUSE", "i (can|could) (offer|suggest|recommend)",
     ["i can offer", "i could suggest", "i can recommend"], ["i can pay"]),
    # `tried?` is "trie" + optional "d": "did you try" / "did you consider" do not match.
    ("ID_CONFUSE", "(have you|did you) (tried?|considered?)",
     ["have you tried", "did you tried", "have you considered", "did you considered"],
     ["have you checked", "did you try", "did you consider"]),
    ("ID_CONFUSE", "i apologize for (the|any) (inconvenience|confusion|delay|trouble)",
     ["i apologize for the inconvenience", "i apologize for any confusion",
      "i apologize for the delay", "i apologize for any trouble"],
     ["i apologize for that"]),
]

POSITIVES = [
    pytest.param(lex, text, id=f"{lex}:{group}:{text}")
    for lex, group, pos, _neg in SEARCH_CASES
    for text in pos
]
NEGATIVES = [
    pytest.param(lex, text, id=f"{lex}:{group}:{text}")
    for lex, group, _pos, neg in SEARCH_CASES
    for text in neg
]


def test_every_search_lexicon_has_cases() -> None:
    covered = {lex for lex, *_ in SEARCH_CASES}
    assert covered == set(LEXICON_NAMES) - {"ACK", "ID", "AGENT_MARKUP"}


@pytest.mark.parametrize(("lexicon", "text"), POSITIVES)
def test_search_positive(lexicon: str, text: str) -> None:
    assert hits(lexicon, text)


@pytest.mark.parametrize(("lexicon", "text"), NEGATIVES)
def test_search_negative(lexicon: str, text: str) -> None:
    assert not hits(lexicon, text)


def test_clarify_question_mark_quirk_from_the_spec() -> None:
    # Spec §3: ".{0,30}\?" "only matches when a word character follows": a bare trailing '?'
    # (or '? ' followed by a space) is not enough.
    assert not hits("CLARIFY", "you said 5 bags?")
    assert not hits("CLARIFY", "you said 5 bags? ok")
    assert hits("CLARIFY", "you said 5 bags?ok")
    # .{0,30}: exactly 30 characters between "said " and "?" match, 31 do not.
    assert hits("CLARIFY", "you said " + "x" * 30 + "?ok")
    assert not hits("CLARIFY", "you said " + "x" * 31 + "?ok")


# --------------------------------------------------------------------------------------------
# ACK: match at the start of the lowered, stripped text; the whole text is one phrase
# followed only by spaces and ! . - ,
# --------------------------------------------------------------------------------------------

ACK_PHRASES = [
    "yes", "yeah", "yea", "yep", "yup", "ok", "okay", "okey", "sure", "right", "fine", "great",
    "perfect", "awesome", "cool", "agree", "agreed", "correct", "absolutely", "indeed",
    "alright", "got it", "go ahead", "sounds good", "that works", "proceed", "confirm", "do it",
    "no problem", "thank you", "thanks", "please", "mhm", "uh-huh", "aight",
]


@pytest.mark.parametrize("phrase", ACK_PHRASES)
def test_ack_positive(phrase: str) -> None:
    assert is_ack(phrase)
    assert is_ack(f"  {phrase.upper()}!! ")  # stripped and lowered first
    assert is_ack(f"{phrase}, - . !")
    assert is_ack(f"\n{phrase}.\t")


@pytest.mark.parametrize("phrase", ACK_PHRASES)
def test_ack_negative(phrase: str) -> None:
    assert not is_ack(f"{phrase} now")  # more words
    assert not is_ack(f"{phrase}?")  # '?' is not in [\s!.\-,]
    assert not is_ack(f"well {phrase}")  # must be at the start
    assert not is_ack(f"{phrase} :)")


@pytest.mark.parametrize(
    "text", ["yes please", "ok thanks", "uh huh", "all right", "yess", "ok!?", "", "   "]
)
def test_ack_negative_specials(text: str) -> None:
    assert not is_ack(text)


# --------------------------------------------------------------------------------------------
# ID: number of non-overlapping findall matches on the lowered text (counted by hand)
# --------------------------------------------------------------------------------------------

ID_COUNTS = [
    ("", 0),
    ("hello there", 0),  # 5-letter words only
    ("thanks", 1),  # any 6+ run of [a-z0-9] between \b counts
    ("reservation abc123", 2),  # "reservation", "abc123"
    ("ABC123", 1),  # lowered first
    ("aaaaaaaaaaaa", 1),  # one run of 12, never split
    ("abcdef ghijkl mnopqr", 3),
    ("abc12", 0),  # 5 characters, 2 digits
    ("zip 12345", 1),  # \d{5,} alternative
    ("#12345", 1),  # "#?" prefix included in the one match
    ("order #w1234567", 1),  # "order" has 5 letters; "#w1234567" via \w*\d{5,}\w*
    ("user_id_123", 1),  # \w+_\w+_\d{3,}
    ("user_id_12", 0),  # only 2 trailing digits
    ("gift_card_abc", 1),
    ("gift_card_", 0),
    ("gift card", 0),
    ("credit_card_x", 1),  # "credit" is no \b-word (followed by "_")
    ("paypal_abc", 1),
    ("paypal_", 0),  # neither "paypal" (no \b before "_") nor paypal_\w+
    ("paypal", 1),  # a plain 6-letter word
    ("mia@mail.com", 1),
    ("mia@mail", 0),
    ("john.smith@example.com", 1),  # "smith@example.com"; "john" has 4 letters
    ("my email is mia@mail.com and my order is #W1234567", 2),
    ("user_id_123, gift_card_abc, paypal_, 12345", 3),
    ("please check booking abc123 and refund 1234567", 5),  # please, booking, abc123,
    # refund, 1234567 ("check" has 5 letters)
]


@pytest.mark.parametrize(("text", "count"), ID_COUNTS, ids=[t or "<empty>" for t, _ in ID_COUNTS])
def test_id_findall_count(text: str, count: int) -> None:
    assert id_count(text) == count


# --------------------------------------------------------------------------------------------
# AGENT_MARKUP: sub with '' on the raw content, non-greedy, DOTALL
# --------------------------------------------------------------------------------------------

MARKUP_CASES = [
    ("a<|think|>x\ny<|/think|>b", "ab"),  # across lines
    ("<|think|>1<|/think|>keep<|think|>2<|/think|>", "keep"),  # non-greedy: text between stays
    ("<function=foo>{\"a\": 1}</function>rest", "rest"),
    ("<function=a>1</function>mid<function=b>2</function>end", "midend"),
    ("before <function=x>{\"a\":\n1} never closed\nmore", "before "),  # up to end of text
    # `$` (no MULTILINE) also matches just before a final newline, which is kept.
    ("<function=x>abc\n", "\n"),
    ("x<|tool|>{}\n{}<|/tool|>y", "xy"),
    ("<|tool|>a<|/tool|> and <|tool|>b<|/tool|>", " and "),
    ("<|think|>never closed", "<|think|>never closed"),  # no closing tag: unchanged
    ("<|THINK|>x<|/THINK|>", "<|THINK|>x<|/THINK|>"),  # case-sensitive
    ("<|think|>x<|/tool|>", "<|think|>x<|/tool|>"),  # mismatched tags: unchanged
    ("plain text", "plain text"),
]


@pytest.mark.parametrize(("raw", "cleaned"), MARKUP_CASES)
def test_agent_markup_removed(raw: str, cleaned: str) -> None:
    assert unmark(raw) == cleaned
