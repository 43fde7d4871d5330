"""The offline ``local`` backend: models that ship inside wheels, one 384-d space."""

from nova_toolkit.embedders.local.embedder import LocalEmbedder
from nova_toolkit.embedders.local.text import MiniLMText, load_rotation

__all__ = ["LocalEmbedder", "MiniLMText", "load_rotation"]
