"""Training a USER simulator with TRL's GRPO and the USI as its reward (not run in tests).

The policy plays the user; an agent (any function here: a scripted one, an API, another model)
answers it; the environment runs the whole conversation in a ``rollout_func`` and hands the
reward function, for each rollout, through the rollout's extra fields (TRL forwards them to
reward functions as keyword arguments):

- ``conversation``: the whole conversation, the POLICY's turns with role ``assistant`` (as
  TRL sees them) and the agent's with role ``user``; hence ``simulator_role="assistant"``;
- ``task_key``: the task's key in the people's reference (like ``airline_7``);
- ``reward``: the agent benchmark's outcome of that conversation (1.0 success, 0.0 not).

USIReward reads ``conversation`` when it is given (a wrapper below), else the completions.
Run: ``python examples/grpo_user_simulator.py --model Qwen/Qwen2.5-0.5B-Instruct``.
"""

from __future__ import annotations

import argparse
from typing import Any

from usi_metric import HumanReference, USIReward


def agent_reply(history: list[dict[str, str]], task_key: str) -> str:
    """The agent under test (replace by your tau-bench agent)."""
    return "Could you give me your booking reference, please?"


def agent_outcome(history: list[dict[str, str]], task_key: str) -> float:
    """The benchmark's verdict on the conversation (replace by the environment's reward)."""
    return float(any("reference" in (m["content"] or "") for m in history))


def policy_turn(trainer: Any, text: str, max_new_tokens: int = 48) -> tuple[list, list, list]:
    """One turn of the policy: ``(prompt ids, completion ids, completion logprobs)``."""
    import torch

    tok = trainer.processing_class
    enc = tok(text, return_tensors="pt").to(trainer.model.device)
    with torch.no_grad():
        gen = trainer.model.generate(**enc, do_sample=True, max_new_tokens=max_new_tokens,
                                     output_scores=True, return_dict_in_generate=True)
    new = gen.sequences[0, enc["input_ids"].shape[1]:]
    logps = trainer.model.compute_transition_scores(gen.sequences, gen.scores,
                                                    normalize_logits=True)[0]
    return enc["input_ids"][0].tolist(), new.tolist(), logps.tolist()


def make_rollout_func(n_turns: int = 4):
    """A ``rollout_func(prompts, trainer)``: ``num_generations`` conversations per prompt,
    ``n_turns`` exchanges each; the extra fields ``conversation``, ``task_key`` and
    ``reward`` reach the reward functions."""

    def rollout_func(prompts: list[str], trainer: Any) -> dict[str, Any]:
        out: dict[str, list[Any]] = {"prompt_ids": [], "completion_ids": [], "logprobs": [],
                                     "conversation": [], "task_key": [], "reward": []}
        for prompt in prompts:
            task_key = prompt.split("TASK:", 1)[1].split()[0]
            for _ in range(trainer.num_generations):
                history: list[dict[str, str]] = []
                first, ids, logps = None, [], []
                for _ in range(n_turns):
                    p_ids, c_ids, c_logps = policy_turn(trainer, prompt + render(history))
                    first = first if first is not None else p_ids
                    ids += c_ids
                    logps += c_logps
                    text = trainer.processing_class.decode(c_ids, skip_special_tokens=True)
                    history.append({"role": "assistant", "content": text})  # the policy = user
                    history.append({"role": "user", "content": agent_reply(history, task_key)})
                out["prompt_ids"].append(first)
                out["completion_ids"].append(ids)
                out["logprobs"].append(logps)
                out["conversation"].append(history)
                out["task_key"].append(task_key)
                out["reward"].append(agent_outcome(history, task_key))
        return out

    return rollout_func


def render(history: list[dict[str, str]]) -> str:
    return "".join(f"\n{'AGENT' if m['role'] == 'user' else 'YOU'}: {m['content']}"
                   for m in history)


class ConversationUSIReward(USIReward):
    """Scores the ``conversation`` field of the rollout (the whole multi-turn exchange)."""

    def __call__(self, completions: Any, *, task_key: Any = None, reward: Any = None,
                 conversation: Any = None, **kwargs: Any) -> list[float]:
        return super().__call__(conversation if conversation is not None else completions,
                                task_key=task_key, reward=reward, **kwargs)


def main() -> None:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--reference", default=None, help="a reference file (default: synthetic)")
    args = ap.parse_args()
    ref = (HumanReference.load(args.reference) if args.reference
           else HumanReference.synthetic())
    train_ref = ref.select(ref.batches[:-1])  # the last batch stays held out for evaluation
    tasks = sorted({s.task_key for s in train_ref.humans().sessions})
    data = Dataset.from_dict({"prompt": [f"You are a customer. TASK: {t} Speak as the user."
                                         for t in tasks]})
    usi = ConversationUSIReward(train_ref, simulator_role="assistant")
    config = GRPOConfig(output_dir="grpo-user-sim", num_generations=8,
                        per_device_train_batch_size=8, max_completion_length=64,
                        reward_weights=[1.0], logging_steps=1)
    trainer = GRPOTrainer(model=args.model, reward_funcs=[usi], args=config,
                          train_dataset=data, rollout_func=make_rollout_func())
    trainer.train()
    print("last batch:", usi.last)


if __name__ == "__main__":
    main()
