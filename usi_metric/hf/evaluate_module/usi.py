"""The User-Sim Index (USI) as a Hugging Face ``evaluate`` metric.

How human is an LLM user simulator? (Zhou et al., arXiv:2603.11245.) A thin layer over the
``usi-metric`` package: this script declares the inputs and hands them to
``usi_metric.hf.evaluate_metric``; every number is computed there, by ``usi_metric.scoring``.
"""

import evaluate

from usi_metric.aggregation.ece import MIN_SAMPLES
from usi_metric.errors import UsiError
from usi_metric.hf.evaluate_metric import compute_usi, metric_features, prepare_task_groups
from usi_metric.hf.evaluate_rollouts import (
    NO_REFERENCE,
    compute_rollouts,
    looks_like_rollouts,
    prepare_rollouts,
    rollout_features,
)
from usi_metric.io.layout import REPO_ID

_CITATION = """\
@misc{zhou2026sim2real,
  title         = {Mind the Sim2Real Gap in User Simulation for Agentic Tasks},
  author        = {Zhou and Sun and Ma and Xie and Liu and Du and Welleck and Yang and Neubig
                   and Wu and Sap},
  year          = {2026},
  eprint        = {2603.11245},
  archivePrefix = {arXiv},
  url           = {https://arxiv.org/abs/2603.11245}
}
"""

_DESCRIPTION = """\
The User-Sim Index (USI, 0-100) measures how human an LLM user simulator is on tau-bench tasks
(airline, retail), against human sessions of the same tasks: behaviour (D1 conversation style,
D2 information sharing, D3 clarification, D4 reactions; Sorensen-Dice between pooled feature
rows), outcome calibration (1 - ECE of task success, binned by task difficulty) and, with the
simulator's survey answers, evaluation agreement (Eval). One score per human annotator batch;
the result is their mean and population std.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: one task group per task: the simulator's sessions of the task, one per run,
        each {"instance_id": "airline_7", "run": 1, "conversation": [{"role", "content"}, ...],
         "reward": 1.0, "keep": True}  (run absent = 1, keep absent = True, keep null = out).
    references: one task group per task (the same task as predictions[i]): the human
        sessions, {"instance_id": "airline_7", "annotator": 1, "conversation": [...], "reward": 0.0,
         "keep": True, "survey": {"task_success": "Yes - Task completed", ...}}.
    difficulty: "published" (the default: the paper's frozen yardstick), "self" (pooled over
        these runs: a task needs >= MIN_SAMPLES of them), {task: difficulty in [0, 1]} or
        a path to `usi difficulty`'s MAP.json.
    survey_judgments: optional, the simulator's survey answers on the human sessions,
        {"airline_7": {"human_like": "Yes", ...}, "airline_7_ann2": {...}, ...}: adds Eval.
    human_eval: optional, a second human's survey of annotator-1 sessions (same form), for
        the Eval of the human ceiling.
    confidence_level: optional, e.g. 0.95: adds usi_ci_low / usi_ci_high, a bootstrap
        interval of the USI over tasks (tasks resampled with replacement, the same draw for
        the humans, every run and the survey; the difficulty map fixed).
    n_resamples: bootstrap resamples (default 2000). seed: their seed (default 0; the same
        seed gives the same interval). ci_method: "centred" (default), "percentile" or "bca".
Returns:
    usi, D1_conv, D2_info, D3_clarif, D4_react, ece, eval_agree (None without
    survey_judgments), each with a `_std` twin; human_usi and human_usi_std (the
    inter-annotator ceiling on the same tasks); n_tasks; with confidence_level, usi_ci_low
    and usi_ci_high. Bad inputs raise usi_metric.errors.UsiError.
Examples:
    >>> import evaluate
    >>> from usi_metric.hf.evaluate_inputs import evaluate_inputs
    >>> from usi_metric.hf.evaluate_metric import evaluate_module_path
    >>> from usi_metric.samples import sample_release_dir
    >>> usi = evaluate.load(evaluate_module_path())
    >>> kwargs = evaluate_inputs(sample_release_dir(), "synth-terse")  # SYNTHETIC data
    >>> round(usi.compute(**kwargs)["usi"], 1)  # doctest: +SKIP
""".replace("MIN_SAMPLES", str(MIN_SAMPLES))


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Usi(evaluate.Metric):
    """The USI metric: inputs are checked by ``usi_metric`` before ``evaluate`` stores them."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            module_type="metric",
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[metric_features(), rollout_features()],
            homepage="https://arxiv.org/abs/2603.11245",
            license="apache-2.0",
            reference_urls=["https://arxiv.org/abs/2603.11245",
                            f"https://huggingface.co/datasets/{REPO_ID}"],
        )

    def add_batch(self, *, predictions=None, references=None, **kwargs) -> None:
        """Add task groups (one per task), or rollouts (any order, any split; then give the
        people once, to compute(reference=...)); they are checked and completed first."""
        if predictions is None and references is not None:
            raise UsiError("predictions is missing (references= came alone): task groups "
                           "come in pairs, predictions= and references=; with rollouts the "
                           "people are given once, as compute(reference=...), without "
                           "references=", field="predictions")
        if references is None and looks_like_rollouts(predictions):
            rollouts = prepare_rollouts(predictions, self._n_added())
            self._select_rollouts()
            super().add_batch(predictions=rollouts, references=[NO_REFERENCE] * len(rollouts),
                              **kwargs)
            return
        predictions, references = prepare_task_groups(predictions, references)
        super().add_batch(predictions=predictions, references=references, **kwargs)

    def add(self, *, prediction=None, reference=None, **kwargs) -> None:
        """Add one task group (one task), or one rollout; checked and completed first."""
        if reference is None and looks_like_rollouts([prediction]):
            (rollout,) = prepare_rollouts([prediction], self._n_added())
            self._select_rollouts()
            super().add(prediction=rollout, reference=NO_REFERENCE, **kwargs)
            return
        (prediction,), (reference,) = prepare_task_groups([prediction], [reference])
        super().add(prediction=prediction, reference=reference, **kwargs)

    def _select_rollouts(self) -> None:
        """Choose the rollout input format before evaluate guesses (its guess tries the task
        groups first and fails on a rollout with a KeyError it does not catch)."""
        if getattr(self, "writer", None) is None:
            self.selected_feature_format = rollout_features()
            self._init_writer()

    def _n_added(self) -> int:
        """Examples written so far (positions in messages count across batches)."""
        writer = getattr(self, "writer", None)
        return 0 if writer is None else len(writer)

    def _compute(self, predictions, references, reference=None, survey_judgments=None,
                 difficulty=None, human_eval=None, confidence_level=None, n_resamples=None,
                 seed=None, ci_method=None) -> dict:
        ci = {"confidence_level": confidence_level, "n_resamples": n_resamples, "seed": seed,
              "ci_method": ci_method}
        rollouts = bool(predictions) and isinstance(predictions[0], dict) \
            and "task_key" in predictions[0]
        if reference is not None:
            if any(r not in (None, NO_REFERENCE, []) for r in references or []):
                raise UsiError("give the people once, either as reference= (a HumanReference "
                               "or its file) or as task groups in references=, not both",
                               field="reference")
            if human_eval is not None:
                raise UsiError("the reference holds the second person's answers; human_eval "
                               "goes with task groups only", field="human_eval")
            if not rollouts:
                raise UsiError("with reference=, add rollouts ({conversation, task_key, "
                               "reward, run?}) as predictions", field="predictions")
            return compute_rollouts(predictions, reference, survey_judgments=survey_judgments,
                                    difficulty=difficulty, **ci)
        if rollouts:
            raise UsiError("rollouts are scored against the people given once: pass "
                           "reference= (a HumanReference or a reference file)",
                           field="reference")
        return compute_usi(predictions, references, survey_judgments=survey_judgments,
                           difficulty=difficulty, human_eval=human_eval, **ci)
