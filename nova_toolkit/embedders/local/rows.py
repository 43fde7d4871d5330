"""The intermediate result of every modality handler: one vector row in the 384-d basis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nova_toolkit.segment import Segment


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
    segment: Segment | None = None  # set when the row covers more than its segment (a page)
