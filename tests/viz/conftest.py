"""The viz tests' fixtures: a fresh copy of the pre-embedded sample collection and its PCA map."""

from __future__ import annotations

import pytest

from nova_toolkit import analysis


@pytest.fixture
def coll(sample_collection):
    return sample_collection


@pytest.fixture
def pca_coords(coll):
    return analysis.project(coll, "pca")
