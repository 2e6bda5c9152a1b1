"""The machine around the math: worker processes, garbage-collector pauses, safe output."""
