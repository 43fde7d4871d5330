"""Analysis of a collection's vectors: 2-D projection, clusters with labels, duplicates, outliers,
and the Matryoshka (MRL) dimension study.

Every function takes a collection through its read interface,
:class:`~nova_toolkit._core.view.CollectionView` (rows in ``to_pandas()`` order; a
:class:`~nova_toolkit.collection.Collection` is one), and most also take a plain ``(n, d)`` array.
Nothing here draws; :mod:`nova_toolkit.viz` does. Neighbour search goes through
the kNN primitives of :mod:`nova_toolkit.vectors.knn` (FAISS), imported lazily.

The modules, bottom up: ``inputs`` (collection or array), ``derived`` (the ``derived/`` cache
files), ``neighbourhood`` (kNN graph, near-duplicates, outliers), ``projection`` (UMAP / PCA),
``keywords`` (c-TF-IDF cluster names), ``clustering`` and ``mrl`` (the dimension study).
"""

from __future__ import annotations

from nova_toolkit.analysis.clustering import CLUSTER_METHODS as CLUSTER_METHODS
from nova_toolkit.analysis.clustering import HDBSCAN_VECTORS_MAX as HDBSCAN_VECTORS_MAX
from nova_toolkit.analysis.clustering import ClusterResult, cluster
from nova_toolkit.analysis.derived import DERIVED_DIR as DERIVED_DIR
from nova_toolkit.analysis.keywords import clean_snippet, cluster_keywords
from nova_toolkit.analysis.mrl import DimensionStudy, dimension_study
from nova_toolkit.analysis.neighbourhood import near_duplicates, neighbours, outliers
from nova_toolkit.analysis.projection import PROJECTION_METHODS as PROJECTION_METHODS
from nova_toolkit.analysis.projection import precomputed_knn, project
from nova_toolkit.analysis.projection import projection_cache_path as projection_cache_path

__all__ = [
    "ClusterResult", "DimensionStudy", "clean_snippet", "cluster", "cluster_keywords",
    "dimension_study", "near_duplicates", "neighbours", "outliers", "precomputed_knn",
    "project",
]
