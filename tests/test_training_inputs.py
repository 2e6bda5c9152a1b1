"""Bad input of the training API (issue 21): ``USIReward(ref)(completions, task_key=...,
reward=...)`` and ``score_batch(ref, conversations, task_keys=..., rewards=...)`` raise ONE
``UsiError`` naming the position and the field, never a silent zero; a credit that is none
is 0.0 and counted, with the other counts, in one ``UsiWarning`` per call; the simulator's
role is swapped before featurizing."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from rollout_gen import make_rollouts

from usi_metric import HumanReference, UsiError, USIReward, UsiWarning, score_batch

TOL = 1e-9
OK_CONV = [{"role": "assistant", "content": "How can I help you today?"},
           {"role": "user", "content": "I want to move my flight HAT045 to Friday, please."}]


@pytest.fixture(scope="module")
def ref() -> HumanReference:
    return HumanReference.synthetic()


@pytest.fixture(scope="module")
def keys(ref) -> list[str]:
    return sorted({s.task_key for s in ref.humans().sessions})


def _conv(i: int) -> list[dict]:
    return [{"role": "assistant", "content": f"Hello, how can I help with request {i}?"},
            {"role": "user", "content": f"My order #W{4000 + 7 * i} arrived broken, sorry."}]


# (conversations, task keys, rewards, the field the error must name); position 1 is bad
BAD = {
    "task keys shorter": ([_conv(0), _conv(1)], ["airline_2"], [1.0, 0.0], "{t}"),
    "rewards longer": ([_conv(0), _conv(1)], ["airline_2", "airline_10"], [1.0, 0.0, 1.0],
                       "{r}"),
    "empty batch": ([], [], [], "{c}"),
    "task keys a string": ([_conv(0)], "airline_2", [1.0], "{t}"),
    "rewards a dict": ([_conv(0)], ["airline_2"], {"airline_2": 1.0}, "{r}"),
    "conversation a dict": ([_conv(0), {"role": "user", "content": "hi"}],
                            ["airline_2", "airline_10"], [1.0, 0.0], r"{c}\[1\]"),
    "conversation a number": ([_conv(0), 7], ["airline_2", "airline_10"], [1.0, 0.0],
                              r"{c}\[1\]"),
    "conversation bytes": ([_conv(0), b"hello"], ["airline_2", "airline_10"], [1.0, 0.0],
                           r"{c}\[1\]"),
    "message a string": ([_conv(0), [OK_CONV[0], "thanks"]], ["airline_2", "airline_10"],
                         [1.0, 0.0], r"{c}\[1\]\[1\]"),
    "no content": ([_conv(0), [OK_CONV[0], {"role": "user"}]], ["airline_2", "airline_10"],
                   [1.0, 0.0], r"{c}\[1\]\[1\]\.content: missing"),
    "content a number": ([_conv(0), [{"role": "user", "content": 42}]],
                         ["airline_2", "airline_10"], [1.0, 0.0], r"{c}\[1\]\[0\]\.content"),
    "content a list": ([_conv(0), [{"role": "user", "content": [{"type": "text"}]}]],
                       ["airline_2", "airline_10"], [1.0, 0.0], r"{c}\[1\]\[0\]\.content"),
    "simulator turn null": ([_conv(0), [OK_CONV[0], {"role": "user", "content": None}]],
                            ["airline_2", "airline_10"], [1.0, 0.0],
                            r"{c}\[1\]\[1\]\.content: null"),
    "no role": ([_conv(0), [{"content": "hi"}]], ["airline_2", "airline_10"], [1.0, 0.0],
                r"{c}\[1\]\[0\]\.role: missing"),
    "role a number": ([_conv(0), [{"role": 1, "content": "hi"}]], ["airline_2", "airline_10"],
                      [1.0, 0.0], r"{c}\[1\]\[0\]\.role"),
    "unknown role": ([_conv(0), [OK_CONV[0], {"role": "human", "content": "hi there"}]],
                     ["airline_2", "airline_10"], [1.0, 0.0],
                     r"{c}\[1\]\[1\]\.role: unknown role 'human'"),
    "role in capitals": ([_conv(0), [{"role": "User", "content": "hi there"}]],
                         ["airline_2", "airline_10"], [1.0, 0.0], r"{c}\[1\]\[0\]\.role"),
    "NaN reward": ([_conv(0), _conv(1)], ["airline_2", "airline_10"], [1.0, float("nan")],
                   r"{r}\[1\]"),
    "inf reward": ([_conv(0), _conv(1)], ["airline_2", "airline_10"], [1.0, -math.inf],
                   r"{r}\[1\]"),
    "numpy NaN reward": ([_conv(0), _conv(1)], ["airline_2", "airline_10"],
                         np.array([1.0, np.nan]), r"{r}\[1\]"),
    "string reward": ([_conv(0), _conv(1)], ["airline_2", "airline_10"], [1.0, "1.0"],
                      r"{r}\[1\]"),
    "bool reward": ([_conv(0), _conv(1)], ["airline_2", "airline_10"], [1.0, True],
                    r"{r}\[1\]"),
    "numpy bool reward": ([_conv(0), _conv(1)], ["airline_2", "airline_10"],
                          [1.0, np.bool_(True)], r"{r}\[1\]"),
    "object reward": ([_conv(0), _conv(1)], ["airline_2", "airline_10"], [1.0, object()],
                      r"{r}\[1\]"),
    "huge int reward": ([_conv(0), _conv(1)], ["airline_2", "airline_10"], [1, 10**400],
                        r"{r}\[1\]"),
    "task key a number": ([_conv(0), _conv(1)], ["airline_2", 10], [1.0, 0.0], r"{t}\[1\]"),
    "task key empty": ([_conv(0), _conv(1)], ["airline_2", ""], [1.0, 0.0], r"{t}\[1\]"),
    "task key None": ([_conv(0), _conv(1)], ["airline_2", None], [1.0, 0.0], r"{t}\[1\]"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_reward_bad_input_one_error(ref, case) -> None:
    convs, tasks, rewards, field = BAD[case]
    fn = USIReward(ref)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UsiWarning)  # an error, not a warning and a zero
        with pytest.raises(UsiError, match="field " + field.format(
                c="completions", t="task_key", r="reward")):
            fn(convs, task_key=tasks, reward=rewards)
    assert fn.last is None  # nothing scored


@pytest.mark.parametrize("case", sorted(BAD))
def test_score_batch_bad_input_one_error(ref, case) -> None:
    convs, tasks, rewards, field = BAD[case]
    with pytest.raises(UsiError, match="field " + field.format(
            c="conversations", t="task_keys", r="rewards")):
        score_batch(ref, convs, task_keys=tasks, rewards=rewards)


def test_usi_error_is_a_value_error(ref) -> None:
    with pytest.raises(ValueError, match=r"completions\[0\]\[0\]\.content"):
        USIReward(ref)([[{"role": "user"}]], task_key=["airline_2"], reward=[1.0])


def test_missing_columns_are_named(ref) -> None:
    fn = USIReward(ref)
    with pytest.raises(UsiError, match="field task_key"):
        fn(["hi"], reward=[1.0])
    with pytest.raises(UsiError, match="field reward"):
        fn(["hi"], task_key=["airline_2"])


@pytest.mark.parametrize("role", ["", "User", "simulator", None, 3])
def test_bad_simulator_role(ref, role) -> None:
    with pytest.raises(UsiError, match="field simulator_role"):
        USIReward(ref, simulator_role=role)


def test_plain_strings_and_none_rewards_are_accepted(ref, keys) -> None:
    """A plain string is one simulator turn; a reward None is a failure (§6), as 0."""
    texts = [f"I need help with order #W{1000 + i}, it has been {i + 2} days now"
             for i in range(6)]
    fn = USIReward(ref, credit="gradient")
    got = fn(texts, task_key=keys[:3] * 2, reward=[None, 1.0, 0.0, 1, None, 0])
    want = fn(texts, task_key=keys[:3] * 2, reward=[0.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    assert got == want and len(got) == 6 and abs(sum(got)) < TOL
    # numpy columns (datasets and pandas hand them out) are numbers and strings too
    as_numpy = fn(np.array(texts, dtype=object), task_key=np.array(keys[:3] * 2),
                  reward=np.array([0.0, 1.0, 0.0, 1.0, 0.0, 0.0]))
    assert as_numpy == want


def test_tool_call_turns_may_have_null_content(ref, keys) -> None:
    """An agent's tool call (content null) is not the simulator's turn: accepted; the same
    null in a turn of the simulator is refused."""
    conv = [{"role": "system", "content": "You are a helpful airline agent."},
            {"role": "user", "content": "Please cancel reservation ZFA04Y, thank you."},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1"}]},
            {"role": "tool", "content": "{\"status\": \"ok\"}", "tool_call_id": "c1"},
            {"role": "assistant", "content": "Done. Anything else?"},
            {"role": "user", "content": "No, that is all."}]
    out = score_batch(ref, [conv, _conv(3)], task_keys=keys[:2], rewards=[1.0, 0.0])
    assert out["coverage"]["tasks_met"] == 2
    fn = USIReward(ref, simulator_role="assistant")
    with pytest.raises(UsiError, match=r"completions\[0\]\[2\]\.content: null"):
        fn([conv, _conv(3)], task_key=keys[:2], reward=[1.0, 0.0])


def _swap(conv: list[dict]) -> list[dict]:
    other = {"user": "assistant", "assistant": "user"}
    return [{**m, "role": other.get(m["role"], m["role"])} for m in conv]


@pytest.mark.parametrize("credit", ["balanced", "gradient", "difference"])
def test_simulator_role_assistant_equals_swapped_conversation(ref, keys, credit) -> None:
    """The policy's turns as ``assistant`` with ``simulator_role="assistant"`` give exactly
    the credits (and the ``last`` score) of the swapped conversations with role ``user``;
    system and tool messages keep their role."""
    rolls = make_rollouts(keys, seed=61, per_task=2, n_tasks=6, extra=0)
    convs = [[{"role": "system", "content": f"Policy v{i}"}, *c,
              {"role": "tool", "content": f"{{\"ok\": {i}}}"}]
             for i, (_, c, _) in enumerate(rolls)]
    tasks = [t for t, _, _ in rolls]
    rewards = [r for _, _, r in rolls]
    as_user = USIReward(ref, credit=credit)
    as_assistant = USIReward(ref, credit=credit, simulator_role="assistant")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UsiWarning)
        want = as_user(convs, task_key=tasks, reward=rewards)
        got = as_assistant([_swap(c) for c in convs], task_key=tasks, reward=rewards)
        # and NOT the credits of the unswapped text (the roles matter)
        other = as_assistant(convs, task_key=tasks, reward=rewards)
    assert max(abs(v) for v in want) > 0.01
    assert max(abs(g - w) for g, w in zip(got, want, strict=True)) < TOL
    assert max(abs(o - w) for o, w in zip(other, want, strict=True)) > 1e-6
    assert as_assistant.last is not None
    direct = score_batch(ref, convs, task_keys=tasks, rewards=rewards)
    assert abs(direct["usi"]["mean"] - as_user.last["usi"]["mean"]) < TOL


def _usi_warnings(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, UsiWarning)]


def test_none_credit_is_zero_and_counted_once(ref) -> None:
    """No task with people: the batch has no USI, so every difference credit is none: each
    becomes 0.0, and one warning says how many (and why) with the other counts."""
    convs = [_conv(i) for i in range(4)]
    tasks = ["retail_9001", "retail_9002", "retail_9001", "retail_9003"]
    fn = USIReward(ref, credit="difference")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = fn(convs, task_key=tasks, reward=[1.0, 0.0, 1.0, 0.0])
    assert out == [0.0] * 4
    msgs = _usi_warnings(rec)
    assert len(msgs) == 1, msgs
    assert "4 credits were none" in msgs[0] and "4 of 4 rollouts have a task with no people" \
        in msgs[0]
    assert fn.last is not None and fn.last["usi"] is None


def test_one_warning_counts_everything(ref, keys) -> None:
    """Tasks without people and rollouts without features: one warning per call, each count
    right; a clean batch: none."""
    stop = [{"role": "assistant", "content": "How can I help?"},
            {"role": "user", "content": " ###STOP###"}]
    convs = [_conv(0), stop, _conv(2), _conv(3), []]  # no messages: no features either
    tasks = [keys[0], keys[1], "retail_9001", keys[2], "retail_9002"]
    fn = USIReward(ref)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = fn(convs, task_key=tasks, reward=[1.0, 0.0, 1.0, 0.0, 1.0])
        fn([_conv(i) for i in range(3)], task_key=keys[:3], reward=[1.0, 0.0, 1.0])
    msgs = _usi_warnings(rec)
    assert len(msgs) == 1, msgs
    assert "2 of 5 rollouts have a task with no people" in msgs[0]
    assert "2 of 5 rollouts yield no features" in msgs[0]
    assert len(out) == 5 and all(math.isfinite(v) for v in out)
