"""The errors media input raises: :class:`MediaError` names the source and the reason.

Every room above ``media`` (decoding, segmentation, embedders) raises these, so they sit on
their own, importing only the package's base error (:mod:`nova_toolkit._core.errors`).
"""

from __future__ import annotations

from typing import Any

from nova_toolkit._core.errors import NovaToolkitError


class MediaError(NovaToolkitError, ValueError):
    """Bad input: always names the source and the reason.

    Parameters
    ----------
    source : str
        The path, URI or caller-given name of the input.
    reason : str
        What is wrong with it, in words a user can act on.
    """

    def __init__(self, source: str, reason: str):
        self.source = str(source)
        self.reason = str(reason)
        super().__init__(f"{self.source}: {self.reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the two-argument constructor picklable (multiprocessing, joblib).
        return (type(self), (self.source, self.reason))


class UnsupportedMediaError(MediaError):
    """The input was read but its format is not one nova_toolkit handles."""
