"""Shared fixtures: one pre-embedded collection of the sample library for the slow tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def local_embedder():
    """The real local backend (MiniLM from its wheel), loaded once per test session."""
    from nova_toolkit.embedders import get_embedder

    return get_embedder("local")


@pytest.fixture(scope="session")
def sample_collection_dir(tmp_path_factory, local_embedder) -> Path:
    """The sample library embedded once; tests that write copy it (see ``sample_collection``)."""
    from nova_toolkit.collection import Collection

    root = tmp_path_factory.mktemp("shared") / "sample-collection"
    coll = Collection.open(root, embedder=local_embedder)
    report = coll.add([str(SAMPLE)], progress=False)
    assert report.embedded > 0 and report.failed == 0, report.failures
    coll.index_client()  # build the index once, too
    return root


@pytest.fixture
def sample_collection(tmp_path, sample_collection_dir, local_embedder):
    """A private, writable copy of the pre-embedded sample collection."""
    from nova_toolkit.collection import Collection

    dest = tmp_path / "collection"
    shutil.copytree(sample_collection_dir, dest)
    return Collection.open(dest, embedder=local_embedder)
