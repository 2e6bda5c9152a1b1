"""The USI as a training signal: a batch's score, each rollout's credit, a TRL reward
(docs/training.md). Nothing heavy is imported here; see ``credit``, ``batch``, ``reward``."""
