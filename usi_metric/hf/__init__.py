"""Hugging Face integration: the ``evaluate`` metric and the inputs it takes."""
