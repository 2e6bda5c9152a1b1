"""TRL end to end: ``GRPOTrainer`` runs 2 steps on CPU with ``reward_funcs=[USIReward(ref)]``
on a tiny random model built from a config (no download); the dataset's ``task_key`` and
``reward`` columns reach the reward, which is called on the whole batch and logged."""

from __future__ import annotations

import warnings
from pathlib import Path

from usi_metric.errors import UsiWarning
from usi_metric.reference import HumanReference
from usi_metric.training.reward import USIReward

WORDS = ("hi I need to change my flight please order W1234 was wrong thanks ok why "
         "cancel refund not sure sorry what can you do that").split()


def _tiny_model(folder: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator([" ".join(WORDS), "task user"],
                            trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]", "</s>"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   eos_token="</s>", model_max_length=64)
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=16, intermediate_size=32,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                         max_position_embeddings=64, pad_token_id=1, eos_token_id=2)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


class Recorder(USIReward):
    """USIReward that remembers what each call received."""

    calls: list[dict]

    def __call__(self, completions, **kwargs):  # type: ignore[override]
        self.calls.append({"n": len(completions), "task_key": list(kwargs["task_key"]),
                           "reward": list(kwargs["reward"])})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UsiWarning)
            return super().__call__(completions, **kwargs)


def test_grpo_two_steps_with_usi_reward(tmp_path: Path) -> None:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast
    from trl import GRPOConfig, GRPOTrainer

    ref = HumanReference.synthetic()
    keys = sorted({s.task_key for s in ref.humans().sessions})[:4]
    model_dir = _tiny_model(tmp_path / "tiny")
    data = Dataset.from_dict({"prompt": [f"task user {k}" for k in keys],
                              "task_key": keys, "reward": [1.0, 0.0, 1.0, 0.0]})
    fn = Recorder(ref, simulator_role="assistant")
    fn.calls = []
    args = GRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=4,
                      num_generations=2, max_completion_length=6, max_steps=2,
                      logging_steps=1, report_to="none", use_cpu=True, save_strategy="no",
                      learning_rate=1e-3, temperature=1.0, dataloader_num_workers=0,
                      seed=0)
    trainer = GRPOTrainer(model=AutoModelForCausalLM.from_pretrained(model_dir),
                          reward_funcs=[fn], args=args, train_dataset=data,
                          processing_class=PreTrainedTokenizerFast.from_pretrained(model_dir))
    trainer.train()
    assert len(fn.calls) >= 2
    assert all(c["n"] == 4 for c in fn.calls)  # the whole batch of one step
    assert all(set(c["task_key"]) <= set(keys) for c in fn.calls)
    want = dict(zip(keys, [1.0, 0.0, 1.0, 0.0], strict=True))
    assert all(r == want[t] for c in fn.calls for t, r in zip(c["task_key"], c["reward"],
                                                              strict=True))
    assert fn.last is not None and "usi" in fn.last
    logged = [h for h in trainer.state.log_history if "rewards/usi_balanced/mean" in h]
    assert len(logged) >= 2
