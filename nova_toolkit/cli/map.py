"""``nova-toolkit map``: write a collection's semantic map as one standalone HTML file."""

from __future__ import annotations

import argparse
from typing import Any

from nova_toolkit.cli.common import add_media_root, shown

NAME = "map"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``map`` to ``subparsers``; its handler is :func:`run`."""
    m = subparsers.add_parser(
        NAME, help="write a semantic map (UMAP + clusters) of a collection as standalone HTML")
    m.add_argument("--collection", required=True, metavar="DIR")
    add_media_root(m)
    m.add_argument("--out", required=True, metavar="HTML", help="output file, e.g. map.html")
    m.add_argument("--color-by", default="modality", metavar="FIELD",
                   help="modality (default), cluster, or any row column / metadata key")
    m.add_argument("--method", default="umap", choices=("umap", "pca"),
                   help="2-D projection (umap needs umap-learn; pca needs nothing)")
    m.add_argument("--n-neighbors", type=int, default=15, metavar="K")
    m.add_argument("--cluster-method", default="kmeans", choices=("kmeans", "hdbscan"))
    m.add_argument("--n-clusters", type=int, default=None, metavar="N")
    m.add_argument("--max-thumbnails", type=int, default=2000, metavar="N",
                   help="picture rows with a hover thumbnail (0: none)")
    m.add_argument("--title", default=None)
    m.set_defaults(handler=run)
    return m


def run(args: argparse.Namespace) -> int:
    """Project, (cluster), draw, export; prints the path (exit 1 on an empty collection)."""
    from nova_toolkit import analysis, viz
    from nova_toolkit.collection import Collection

    coll = Collection.open(args.collection, create=False, media_root=args.media_root)
    if len(coll) == 0:
        print(f"{shown(args.collection)}: the collection is empty; embed something first")
        return 1
    coords = analysis.project(coll, args.method, n_neighbors=args.n_neighbors)
    clusters = None
    if args.color_by == "cluster":
        clusters = analysis.cluster(coll, method=args.cluster_method,
                                    n_clusters=args.n_clusters)
    fig = viz.semantic_map(coll, color_by=args.color_by, coords=coords, clusters=clusters,
                           thumbnails_max=args.max_thumbnails, title=args.title)
    path = viz.export_html(fig, args.out)
    print(f"wrote {shown(str(path))} ({len(coll)} points, {path.stat().st_size / 1e6:.1f} MB)")
    return 0
