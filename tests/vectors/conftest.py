"""Shared fixtures: a fresh mirror client on a temporary root with one bucket."""

from __future__ import annotations

from pathlib import Path

import pytest
from s3v_helpers import BUCKET

from nova_toolkit.vectors import LocalS3VectorsClient, local_client


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "vectors"


@pytest.fixture
def client(root: Path) -> LocalS3VectorsClient:
    c = local_client(root)
    c.create_vector_bucket(vectorBucketName=BUCKET)
    return c
