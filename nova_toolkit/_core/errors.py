"""The package's own exception types, defined once at the floor so that every room can raise them.

- :class:`NovaToolkitError`: the base of every error a user can act on (``except
  NovaToolkitError`` catches bad arguments, a missing collection, unreadable media, ...).
- :class:`InvalidArgumentError`: an argument has a value the call cannot take; it names the
  argument, the value given and, where there is a short list, the values allowed. It is a
  ``ValueError``, so code that caught ``ValueError`` before keeps working.

The CLI prints ``str(error)`` as one ``nova-toolkit: error: ...`` line (exit status 2), naming
the command-line option instead of the Python argument (:meth:`InvalidArgumentError.describe`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_UNSET: Any = object()


class NovaToolkitError(Exception):
    """Base class of the errors nova_toolkit raises for input a user can correct."""


class ConfigurationError(NovaToolkitError):
    """The environment cannot serve the run (no such AWS profile, no credentials, ...).

    Raised once, before any file is embedded, so a run does not record every file as failed.
    """


class InvalidArgumentError(NovaToolkitError, ValueError):
    """An argument got a value the call cannot take.

    Parameters
    ----------
    argument : str
        The parameter's name as the Python API spells it (``top_k``, ``filter``, ...).
    problem : str
        What is wrong, in words (``must be at least 1``, ``unknown modality 'picture'``).
    value : optional
        The value given (shown as ``(got ...)``); left out when not passed.
    allowed : iterable, optional
        The values allowed, when they make a short list (shown as ``allowed: a, b, c``).
    """

    def __init__(self, argument: str, problem: str, *, value: Any = _UNSET,
                 allowed: Iterable[Any] | None = None) -> None:
        self.argument = argument
        self.problem = problem
        self.has_value = value is not _UNSET
        self.value = value if self.has_value else None
        self.allowed = tuple(allowed) if allowed is not None else None
        super().__init__(self.describe(argument))

    def describe(self, name: str) -> str:
        """The message with the argument called ``name`` (the CLI passes ``--top-k``)."""
        text = f"{name}: {self.problem}"
        if self.has_value:
            text += f" (got {self.value!r})"
        if self.allowed:
            text += "; allowed: " + ", ".join(str(a) for a in self.allowed)
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword-only constructor: rebuild through a helper so the error pickles (Ray, joblib)
        given = {"value": self.value} if self.has_value else {}
        return (_rebuild, (type(self), self.argument, self.problem, self.allowed, given))


def _rebuild(cls: type[InvalidArgumentError], argument: str, problem: str,
             allowed: tuple | None, given: dict[str, Any]) -> InvalidArgumentError:
    return cls(argument, problem, allowed=allowed, **given)
