"""``nova-toolkit`` command line: embed, search, info, serve.

The options below are a contract relied on by scripts; keep them stable. This
module only parses arguments and prints: every action is a public API call.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

#: Option names reserved for later features (accepted by the parser, refused with a clear message).
RESERVED = ("--config",)
#: Reserved on ``search`` only (``embed`` implements them).
SEARCH_RESERVED = ("--purpose", "--s3-staging")
#: Options passed to the backend (``get_embedder(backend, **options)``); nova only.
BACKEND_OPTIONS = ("profile", "region", "s3_staging")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nova-toolkit",
        description="Embed a media library into a Parquet collection and search it.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("embed", help="embed files and folders into a collection")
    e.add_argument("paths", nargs="+", metavar="PATH")
    e.add_argument("--collection", required=True, metavar="DIR")
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
    e.add_argument("--purpose", default=None, metavar="PURPOSE",
                   help="embeddingPurpose stored with the rows (default: GENERIC_INDEX)")
    e.add_argument("--s3-staging", default=None, metavar="URI",
                   help="nova: s3://bucket/prefix for async jobs (long audio/video, long text)")
    e.add_argument("--dry-run", action="store_true",
                   help="nova: count requests, inputs and estimated cost; send nothing")

    s = sub.add_parser("search", help="search a collection by text or by example file")
    s.add_argument("--collection", required=True, metavar="DIR")
    q = s.add_mutually_exclusive_group(required=True)
    q.add_argument("--text", metavar="QUERY")
    q.add_argument("--file", metavar="PATH")
    s.add_argument("--top-k", type=int, default=10, metavar="K")
    s.add_argument("--filter", default=None, metavar="JSON",
                   help='S3 Vectors filter, e.g. \'{"modality": "image"}\'')
    s.add_argument("--mode", default="vector", metavar="MODE",
                   help="vector (default), text (BM25 over the snippets; no model loaded) or "
                        "hybrid (both, Reciprocal Rank Fusion)")
    s.add_argument("--json", action="store_true", help="print one JSON array")

    i = sub.add_parser("info", help="settings and counts of a collection")
    i.add_argument("--collection", required=True, metavar="DIR")
    i.add_argument("--json", action="store_true")

    for cmd in (e, s):
        cmd.add_argument("--profile", default=None, metavar="NAME",
                         help="nova: AWS profile (default: the standard credential chain)")
        cmd.add_argument("--region", default=None, metavar="REGION", help="nova: AWS region")
        for name in RESERVED:
            cmd.add_argument(name, default=None, help=argparse.SUPPRESS)
    for name in SEARCH_RESERVED:
        s.add_argument(name, default=None, help=argparse.SUPPRESS)

    v = sub.add_parser("serve", help="run the local AWS twin (bedrock-runtime, s3vectors, s3)")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=8555)
    v.add_argument("--root", default=None, metavar="DIR",
                   help="directory of the S3 Vectors data (default: a temporary directory)")
    v.add_argument("--latency-ms", type=float, default=0.0, metavar="MS",
                   help="added to every model call")
    v.add_argument("--rps-quota", type=float, default=None, metavar="N",
                   help="model calls per second before ThrottlingException (429)")
    v.add_argument("--throttle-rate", type=float, default=0.0, metavar="P",
                   help="share of model calls answered ThrottlingException (429)")
    v.add_argument("--error-rate", type=float, default=0.0, metavar="P",
                   help="share of model calls answered 500/503")
    v.add_argument("--timeout-rate", type=float, default=0.0, metavar="P",
                   help="share of model calls answered ModelTimeoutException (408)")
    v.add_argument("--drop-rate", type=float, default=0.0, metavar="P",
                   help="share of model calls whose connection is closed unanswered")
    v.add_argument("--fast-embeddings", action="store_true",
                   help="deterministic hash-seeded vectors instead of the local model")
    v.add_argument("--max-text-segments", type=int, default=None, metavar="N",
                   help="segments one async text job may produce (Nova: 1,900)")
    v.add_argument("--max-media-segments", type=int, default=None, metavar="N",
                   help="segments one async audio/video job may produce (Nova: 1,434)")
    v.add_argument("--seed", type=int, default=None, help="seed of the fault injector")
    v.add_argument("--verbose", action="store_true", help="log every request")
    from nova_toolkit.vectors.sync_cli import add_sync_commands

    add_sync_commands(sub)
    from nova_toolkit.viz_cli import add_map_command

    add_map_command(sub)
    return p


def _json_arg(text: str | None, what: str):
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise SystemExit(f"nova-toolkit: error: {what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SystemExit(f"nova-toolkit: error: {what} must be a JSON object")
    return value


def _refuse_reserved(args: argparse.Namespace) -> None:
    names = RESERVED + (SEARCH_RESERVED if args.command == "search" else ())
    for name in names:
        if getattr(args, name.lstrip("-").replace("-", "_"), None) is not None:
            raise SystemExit(f"nova-toolkit: error: {name} is not available yet in this version")


def _backend_options(args: argparse.Namespace, backend: str) -> dict:
    """``--profile`` / ``--region`` / ``--s3-staging`` for the nova backend; refused otherwise."""
    options = {k: getattr(args, k, None) for k in BACKEND_OPTIONS}
    options = {k: v for k, v in options.items() if v is not None}
    if options and backend != "nova":
        given = ", ".join("--" + k.replace("_", "-") for k in options)
        raise ValueError(f"{given}: options of the nova backend, not of {backend!r}")
    return options


def _stored_backend(path: str) -> str | None:
    from nova_toolkit.store import Store

    return Store.open(path).settings.backend if Store.exists(path) else None


def _dry_run(args: argparse.Namespace, backend: str) -> int:
    if backend != "nova":
        raise ValueError("--dry-run estimates nova requests; use it with --backend nova")
    from nova_toolkit.embedders.nova import dry_run

    kwargs = {"max_chars": args.max_chars} if args.max_chars is not None else {}
    if args.document_mode is not None:
        kwargs["document_mode"] = args.document_mode
    report = dry_run(args.paths, **kwargs)
    print(report.summary())
    for source, reason in report.skipped:
        print(f"skipped: {source}: {reason}")
    return 0


def _embed(args: argparse.Namespace) -> int:
    from nova_toolkit.collection import Collection
    from nova_toolkit.embedders import PURPOSES

    backend = args.backend or _stored_backend(args.collection) or "local"
    options = _backend_options(args, backend)
    if args.purpose is not None and args.purpose not in PURPOSES:
        raise ValueError(f"--purpose must be one of {', '.join(PURPOSES)}")
    if args.dry_run:
        return _dry_run(args, backend)
    coll = Collection.open(args.collection, backend=args.backend, dimension=args.dimension,
                           max_chars=args.max_chars, purpose=args.purpose,
                           segment_seconds=args.segment_seconds,
                           embedding_mode=args.embedding_mode,
                           document_mode=args.document_mode, **options)
    report = coll.add(args.paths, keep_missing=args.keep_missing,
                      metadata=_json_arg(args.metadata, "--metadata"),
                      progress=not args.no_progress)
    print(report.summary())
    usage = getattr(coll.embedder, "usage", None) if coll.settings.backend == "nova" else None
    if usage is not None:
        print(f"usage: {usage.summary()}")
    for source, reason in report.failures:
        print(f"failed: {source}: {reason}")
    for source in report.removed:
        print(f"removed (no longer on disk): {source}")
    return 0


def _search(args: argparse.Namespace) -> int:
    from nova_toolkit.collection import Collection

    backend = _stored_backend(args.collection) or "local"
    coll = Collection.open(args.collection, create=False, **_backend_options(args, backend))
    hits = coll.search(args.text, file=args.file, top_k=args.top_k, mode=args.mode,
                       filter=_json_arg(args.filter, "--filter"))
    if args.json:
        json.dump(list(hits), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not hits:
        print("no results")
    for rank, hit in enumerate(hits, 1):
        seg = hit["segment"]
        where = [f"#{seg['index']}"]
        if seg["page"] is not None:
            where.append(f"p.{seg['page']}")
        if seg["start_s"] is not None:
            where.append(f"{seg['start_s']:.1f}-{seg['end_s']:.1f}s")
        if seg["char_start"] is not None:
            where.append(f"chars {seg['char_start']}-{seg['char_end']}")
        snippet = " ".join((hit["snippet"] or "").split())
        if len(snippet) > 110:
            snippet = snippet[:107] + "..."
        score = {"text": "bm25", "hybrid": "fused"}.get(args.mode)
        value = hit["scores"].get(score, 0.0) if score else hit["distance"]
        print(f"{rank:>2}. {value:.4f}  [{hit['modality']}] {hit['source']} "
              f"({', '.join(where)})\n      {snippet}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from nova_toolkit.collection import Collection

    info = Collection.open(args.collection, create=False).info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    s = info["settings"]
    print(f"collection {info['path']} (format {info['format_version']}, version {info['version']})")
    print(f"  backend {s['backend']}  model {s['model_id']}  dimension {s['dimension']}  "
          f"purpose {s['purpose']}  document mode {s.get('document_mode', 'text')}")
    print(f"  segmentation {json.dumps(s['segmentation'], sort_keys=True)}")
    by = ", ".join(f"{k} {v}" for k, v in sorted(info["items_by_modality"].items()))
    print(f"  {info['items']} items ({by or 'none'}), {info['segments']} vector rows, "
          f"{info['failures']} failures")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from nova_toolkit.twin import TwinConfig, serve

    config = TwinConfig(root=args.root, latency_ms=args.latency_ms, rps_quota=args.rps_quota,
                        throttle_rate=args.throttle_rate, error_rate=args.error_rate, timeout_rate=args.timeout_rate,
                        drop_rate=args.drop_rate, fast_embeddings=args.fast_embeddings,
                        seed=args.seed, quiet=not args.verbose,
                        **{k: v for k in ("max_text_segments", "max_media_segments")
                           if (v := getattr(args, k)) is not None})
    try:
        serve(config, host=args.host, port=args.port)
    except KeyboardInterrupt:
        print("nova-toolkit: twin stopped", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nova-toolkit`` console script."""
    args = _parser().parse_args(argv)
    _refuse_reserved(args)
    from nova_toolkit.media import MediaError
    from nova_toolkit.store import StoreError
    from nova_toolkit.vectors.sync_cli import SYNC_HANDLERS
    from nova_toolkit.viz_cli import run_map

    handlers = {"embed": _embed, "search": _search, "info": _info, "serve": _serve,
                "map": run_map, **SYNC_HANDLERS}
    try:
        return handlers[args.command](args)
    except (StoreError, MediaError, ValueError) as exc:
        print(f"nova-toolkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nova-toolkit: interrupted; work committed so far is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
