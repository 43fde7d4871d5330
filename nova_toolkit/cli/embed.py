"""``nova-toolkit embed PATH... --collection DIR``: embed files and folders into a collection."""

from __future__ import annotations

import argparse
from typing import Any

from nova_toolkit.cli.common import (
    UserError,
    add_aws_options,
    add_media_root,
    backend_options,
    json_arg,
    shown,
    stored_backend,
)

NAME = "embed"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``embed`` to ``subparsers``; its handler is :func:`run`."""
    e = subparsers.add_parser(NAME, help="embed files and folders into a collection")
    e.add_argument("paths", nargs="+", metavar="PATH")
    e.add_argument("--collection", required=True, metavar="DIR")
    add_media_root(e)
    e.add_argument("--backend", default=None, help="embedding backend (default: local)")
    e.add_argument("--dimension", type=int, default=None, metavar="N")
    e.add_argument("--max-chars", type=int, default=None, metavar="N",
                   help="text chunk size in characters (default: the backend's input limit)")
    e.add_argument("--segment-seconds", type=float, default=None, metavar="S",
                   help="audio/video window length, 1-30 s (Nova's durationSeconds; default 5)")
    e.add_argument("--embedding-mode", default=None,
                   choices=("AUDIO_VIDEO_COMBINED", "AUDIO_VIDEO_SEPARATE"),
                   help="video: one combined row per window, or separate VIDEO and AUDIO rows")
    e.add_argument("--document-mode", default=None, choices=("text", "image", "both"),
                   help="PDF/DOCX pages as page images (nova default; DOCUMENT_IMAGE), their "
                        "text layer (local default) or both")
    e.add_argument("--keep-missing", action="store_true",
                   help="keep rows of files that disappeared from an embedded folder")
    e.add_argument("--metadata", default=None, metavar="JSON",
                   help="user metadata added to every row, e.g. '{\"lang\": \"en\"}'")
    e.add_argument("--no-progress", action="store_true")
    e.add_argument("--follow-links", action="store_true",
                   help="follow symbolic links that lead out of a folder being embedded "
                        "(default: each is reported as a failure and nothing it points at "
                        "is read)")
    e.add_argument("--purpose", default=None, metavar="PURPOSE",
                   help="embeddingPurpose stored with the rows (default: GENERIC_INDEX)")
    e.add_argument("--s3-staging", default=None, metavar="URI",
                   help="nova: s3://bucket/prefix for async jobs (long audio/video, long text)")
    e.add_argument("--max-rps", type=float, default=None, metavar="N",
                   help="nova: your Bedrock quota in requests per second; requests are paced "
                        "to it (shared by every actor under --engine ray)")
    e.add_argument("--dry-run", action="store_true",
                   help="nova: count requests, inputs and estimated cost; send nothing")
    r = e.add_argument_group("engine", "where the embedding runs (see the README's Ray section)")
    r.add_argument("--engine", default="local", choices=("local", "ray"),
                   help="local: in this process (default); ray: on Ray Data (this process "
                        "still writes the collection)")
    r.add_argument("--address", default=None, metavar="auto|HOST:PORT",
                   help="ray: a running cluster (default: start a local Ray for the run)")
    r.add_argument("--workers", type=int, default=None, metavar="N",
                   help="ray: embed actors (default: as many as the cluster's CPUs allow)")
    r.add_argument("--worker-cpus", type=float, default=1.0, metavar="C",
                   help="ray: CPUs per embed actor (default 1)")
    add_aws_options(e)
    e.set_defaults(handler=run)
    return e


def _dry_run(args: argparse.Namespace, backend: str) -> int:
    if backend != "nova":
        raise UserError("--dry-run estimates nova requests; use it with --backend nova")
    from pathlib import Path

    from nova_toolkit.collection import Collection
    from nova_toolkit.pipeline.dry_run import dry_run

    kwargs: dict[str, Any] = {"max_chars": args.max_chars} if args.max_chars is not None else {}
    if args.document_mode is not None:
        kwargs["document_mode"] = args.document_mode
    if (Path(args.collection) / "manifest.json").is_file():
        # what a nova collection already holds is cached, not a request; its settings apply
        coll = Collection.open(args.collection, create=False, media_root=args.media_root)
        if coll.settings.backend == "nova":
            kwargs["collection"] = coll
    try:
        report = dry_run(args.paths, follow_links=args.follow_links, **kwargs)
    except ValueError as exc:  # e.g. a --document-mode the collection was not made with
        raise UserError(str(exc)) from None
    print(report.summary())
    for source, reason in report.skipped:
        print(f"skipped: {shown(source)}: {shown(reason)}")
    return 0


def _engine(args: argparse.Namespace) -> Any:
    """``"local"`` or the :class:`RayEngine` the ray options describe (a user error if bad)."""
    ray_only = {"--address": args.address, "--workers": args.workers,
                "--worker-cpus": None if args.worker_cpus == 1.0 else args.worker_cpus}
    if args.engine == "local":
        given = [flag for flag, value in ray_only.items() if value is not None]
        if given:
            raise UserError(f"{', '.join(given)} only apply with --engine ray")
        return "local"
    from importlib.util import find_spec

    if find_spec("ray") is None:
        raise UserError("--engine ray needs Ray Data: pip install 'nova-toolkit[ray]'")
    import logging

    from nova_toolkit.pipeline.ray_engine import RayEngine

    logging.getLogger("ray.data").setLevel(logging.WARNING)  # no per-dataset INFO lines
    try:
        return RayEngine(address=args.address, workers=args.workers,
                         worker_cpus=args.worker_cpus)
    except ValueError as exc:
        raise UserError(f"--engine ray: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Open (or create) the collection, add the paths, print the report."""
    from nova_toolkit.collection import Collection
    from nova_toolkit.embedders import PURPOSES

    backend = args.backend or stored_backend(args.collection) or "local"
    options = backend_options(args, backend)
    if args.max_rps is not None and not args.max_rps > 0:
        raise UserError(f"--max-rps must be > 0, not {args.max_rps:g}")
    if args.purpose is not None and args.purpose not in PURPOSES:
        raise UserError(f"--purpose must be one of {', '.join(PURPOSES)}")
    if args.dry_run:
        return _dry_run(args, backend)
    engine = _engine(args)
    coll = Collection.open(args.collection, backend=args.backend, dimension=args.dimension,
                           max_chars=args.max_chars, purpose=args.purpose,
                           segment_seconds=args.segment_seconds,
                           embedding_mode=args.embedding_mode,
                           document_mode=args.document_mode, media_root=args.media_root,
                           **options)
    report = coll.add(args.paths, keep_missing=args.keep_missing,
                      metadata=json_arg(args.metadata, "--metadata"),
                      progress=not args.no_progress, engine=engine,
                      follow_links=args.follow_links)
    print(report.headline())
    usage = None  # under Ray the calls were made (and counted) in the actors
    if coll.settings.backend == "nova" and engine == "local":
        usage = getattr(coll.embedder, "usage", None)
    if usage is not None:
        print(f"usage: {usage.summary()}")
    for source, reason in report.failures:
        print(f"failed: {shown(source)}: {shown(reason)}")
    for source in report.removed:
        print(f"removed (no longer on disk): {shown(source)}")
    return 0
