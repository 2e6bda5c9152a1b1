"""The one exception type of usi-metric, caught once at the CLI edge."""

from __future__ import annotations


class UsiError(ValueError):
    """A user-facing problem with input data or arguments.

    The message is one line naming the file, the id and the field when known.

    >>> str(UsiError("reward is a string", file="runs.json", id="airline_1", field="reward"))
    'runs.json: id airline_1: field reward: reward is a string'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        id: str | None = None,  # noqa: A002 - the paper's word
        field: str | None = None,
    ) -> None:
        self.file = file
        self.id = id
        self.field = field
        self.reason = message
        parts = []
        if file is not None:
            parts.append(str(file))
        if id is not None:
            parts.append(f"id {id}")
        if field is not None:
            parts.append(f"field {field}")
        parts.append(message)
        super().__init__(": ".join(parts).replace("\n", " "))

    def __reduce__(self) -> tuple[object, tuple[str | None, ...]]:
        """Pickled with its parts (it crosses process boundaries intact)."""
        return (_rebuild, (self.reason, self.file, self.id, self.field))


def _rebuild(reason: str, file: str | None, id: str | None,  # noqa: A002
             field: str | None) -> UsiError:
    return UsiError(reason, file=file, id=id, field=field)


class UsiWarning(UserWarning):
    """Something the user should know about a result (sessions left out, a collision of
    run ids resolved, seeded fills): the library warns, the CLI prints one line.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("3 sessions have no reward", UsiWarning)
    >>> str(caught[0].message)
    '3 sessions have no reward'
    """
