"""The judge run behind ``usi survey``: a model answers the 8-question survey (docs/judge.md)
on the kept human sessions of a release, as the user who had each conversation, and the
answers become a ``survey_comparable_<name>.json`` file, the Eval term of a new simulator.

- :mod:`~usi_metric.judge.questions`: the survey's question texts (the options are
  :data:`usi_metric.aggregation.eval_agree.SURVEY_SCALES`);
- :mod:`~usi_metric.judge.prompt`: the prompt template, the conversation as user/agent turns,
  the cut of conversations longer than the model's context, reading a JSON reply;
- :mod:`~usi_metric.judge.local`: a local ``transformers`` causal LM that ranks each
  question's options by log-likelihood (imports torch/transformers, only when used);
- :mod:`~usi_metric.judge.endpoint`: any OpenAI-compatible chat-completions server through
  ``huggingface_hub.InferenceClient``;
- :mod:`~usi_metric.judge.files`: the answer journal (resume) and atomic writes;
- :mod:`~usi_metric.judge.run`: the orchestration, the file and its metadata, the Eval.

Nothing heavy is imported here (torch and transformers only by ``local``, when it runs):

>>> from usi_metric.judge.questions import SURVEY_QUESTIONS
>>> len(SURVEY_QUESTIONS)
8
"""
