"""Helpers shared by the vectors tests (imported by name: tests/ is not a package)."""

from __future__ import annotations

import numpy as np

from nova_toolkit.vectors import LocalS3VectorsClient

BUCKET = "test-bucket"


def make_index(
    client: LocalS3VectorsClient,
    name: str = "idx",
    dim: int = 8,
    metric: str = "cosine",
    non_filterable: list[str] | None = None,
) -> dict:
    params = dict(
        vectorBucketName=BUCKET,
        indexName=name,
        dataType="float32",
        dimension=dim,
        distanceMetric=metric,
    )
    if non_filterable:
        params["metadataConfiguration"] = {"nonFilterableMetadataKeys": non_filterable}
    client.create_index(**params)
    return {"vectorBucketName": BUCKET, "indexName": name}


def random_vectors(n: int, dim: int, seed: int = 0, prefix: str = "k") -> list[dict]:
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((n, dim)).astype(np.float32)
    return [
        {"key": f"{prefix}{i}", "data": {"float32": data[i].tolist()}, "metadata": {"i": i}}
        for i in range(n)
    ]
