"""The stage tests' fixture: a store with the real local backend's settings."""

from __future__ import annotations

import pytest
from pipeline_helpers import SEGMENTATION

from nova_toolkit.collection.opening import settings_for
from nova_toolkit.store import Store


@pytest.fixture
def store(tmp_path, local_embedder) -> Store:
    """An empty collection store with the local backend's real settings."""
    return Store.open(tmp_path / "store",
                      settings_for(local_embedder, "GENERIC_INDEX", SEGMENTATION))
