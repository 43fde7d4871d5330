"""Where the sample library is, and where notebooks keep what they make, from any directory.

The notebooks used to say ``../data/sample`` and ``../build``: they worked only when the
kernel started in ``notebooks/``. These functions answer the same questions from the package:

- :func:`sample_library`: the sample media (``data/sample`` of a source checkout, found next
  to the package), or the folder ``NOVA_TOOLKIT_SAMPLE`` names. A wheel does not carry the
  2 MB of media, so an installed package without a checkout raises
  :class:`SampleDataNotFoundError`, which says to set ``NOVA_TOOLKIT_SAMPLE``.
- :func:`workspace`: one folder for what the notebooks write (collections, HTML maps):
  ``NOVA_TOOLKIT_HOME`` if set, else the user's cache folder (``$XDG_CACHE_HOME`` or
  ``~/.cache`` on Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows)
  ``/nova-toolkit``. It never depends on the working directory, and a cache folder is the
  place for data that can always be rebuilt (the embedding cache makes a rebuild cheap).
- :func:`sample_collection` / :func:`output_dir`: the notebooks' default collection and
  HTML folder inside it, overridden by ``NOVA_TOOLKIT_COLLECTION`` / ``NOVA_TOOLKIT_OUT``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nova_toolkit._core.errors import InvalidArgumentError, NovaToolkitError

#: The environment variables these functions read.
SAMPLE_ENV = "NOVA_TOOLKIT_SAMPLE"
HOME_ENV = "NOVA_TOOLKIT_HOME"
COLLECTION_ENV = "NOVA_TOOLKIT_COLLECTION"
OUT_ENV = "NOVA_TOOLKIT_OUT"

# nova_toolkit/datasets.py -> the checkout's root (the package is installed from it, editable)
_CHECKOUT = Path(__file__).resolve().parents[1]


class SampleDataNotFoundError(NovaToolkitError, FileNotFoundError):
    """The sample library is neither where ``NOVA_TOOLKIT_SAMPLE`` says nor in a checkout."""


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else None


def sample_library(name: str = "sample") -> Path:
    """The folder of the sample media library (``"sample"``) or the held-out one (``"heldout"``).

    ``NOVA_TOOLKIT_SAMPLE`` wins for ``"sample"``; otherwise ``data/<name>`` of the source
    checkout the package lives in. Raises :class:`SampleDataNotFoundError` naming the
    variable to set when there is none (an installed wheel ships no media).
    """
    if name not in ("sample", "heldout"):
        raise InvalidArgumentError("name", "unknown sample library", value=name,
                                   allowed=("sample", "heldout"))
    given = _env_path(SAMPLE_ENV) if name == "sample" else None
    if given is not None:
        if not given.is_dir():
            raise SampleDataNotFoundError(
                f"{SAMPLE_ENV}={os.environ[SAMPLE_ENV]!r} is not a folder; point it at the "
                f"sample library (data/sample of a nova_toolkit checkout)")
        return given
    found = _CHECKOUT / "data" / name
    if found.is_dir():
        return found
    raise SampleDataNotFoundError(
        f"the {name} library was not found: the installed package has no data/{name} next to "
        f"it ({found}); clone the nova_toolkit repository and set {SAMPLE_ENV} to its "
        f"data/sample folder")


def _user_cache() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    if os.name == "nt":
        local = os.environ.get("LOCALAPPDATA")
        return Path(local) if local else Path.home() / "AppData" / "Local"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"


def workspace() -> Path:
    """The folder notebooks write to (``NOVA_TOOLKIT_HOME``, else ``<user cache>/nova-toolkit``)."""
    return _env_path(HOME_ENV) or (_user_cache() / "nova-toolkit").resolve()


def sample_collection(backend: str = "local") -> Path:
    """Where the notebooks keep the sample library's collection for ``backend``.

    ``NOVA_TOOLKIT_COLLECTION`` if set, else ``<workspace>/sample-collection`` (the local
    backend) or ``<workspace>/sample-collection-<backend>``: vectors of two models never mix.
    """
    given = _env_path(COLLECTION_ENV)
    if given is not None:
        return given
    suffix = "" if backend == "local" else f"-{backend}"
    return workspace() / f"sample-collection{suffix}"


def output_dir() -> Path:
    """Where notebooks write files to open (HTML maps): ``NOVA_TOOLKIT_OUT`` or ``<workspace>/out``.

    Created if missing.
    """
    out = _env_path(OUT_ENV) or workspace() / "out"
    out.mkdir(parents=True, exist_ok=True)
    return out
