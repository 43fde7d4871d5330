"""Embedding backends, found by name.

>>> from nova_toolkit.embedders import get_embedder
>>> emb = get_embedder("local", dimension=256)   # doctest: +SKIP

A backend registers a factory with :func:`register_embedder`; factories are
imported lazily so that ``import nova_toolkit`` never loads a model.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from nova_toolkit.embedders.base import (
    EMBEDDING_TYPES,
    PURPOSES,
    RETRIEVAL_PURPOSE,
    Embedder,
    Embedding,
    EmbedFailure,
    l2_normalize,
)

__all__ = [
    "EMBEDDING_TYPES",
    "PURPOSES",
    "RETRIEVAL_PURPOSE",
    "EmbedFailure",
    "Embedder",
    "Embedding",
    "get_embedder",
    "l2_normalize",
    "list_embedders",
    "registered_factory",
    "register_embedder",
]

# name -> "module:factory" (lazy) or a callable
_REGISTRY: dict[str, str | Callable[..., Embedder]] = {
    "local": "nova_toolkit.embedders.local:LocalEmbedder",
    "nova": "nova_toolkit.embedders.nova:NovaEmbedder",
}


def register_embedder(name: str, factory: str | Callable[..., Embedder]) -> None:
    """Register a backend under ``name``: a callable or a lazy ``"module:attr"`` path."""
    _REGISTRY[name] = factory


def list_embedders() -> list[str]:
    """Names of the registered backends."""
    return sorted(_REGISTRY)


def registered_factory(name: str) -> Callable[..., Embedder]:
    """The factory registered as ``name`` (imported on first use).

    Raises
    ------
    ValueError
        If no backend is registered under ``name``.
    """
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown embedding backend {name!r}; available: {', '.join(list_embedders())}"
        ) from None
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        factory = getattr(importlib.import_module(module), attr)
    return factory


def get_embedder(name: str, **options) -> Embedder:
    """Build the backend registered as ``name`` with keyword ``options``.

    Raises
    ------
    ValueError
        If no backend is registered under ``name``.
    """
    return registered_factory(name)(**options)
