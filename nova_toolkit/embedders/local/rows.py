"""The intermediate result of every modality handler: one vector row in the 384-d basis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Row:
    """A vector for one segment before it is cut to the collection's dimension.

    ``vector`` is unit-length in the full rotated 384-d basis; the embedder keeps its first
    ``dimension`` coordinates and renormalises (like the text path).
    """

    segment_index: int
    embedding_type: str
    vector: np.ndarray
    snippet: str
    truncated_chars: int = 0
