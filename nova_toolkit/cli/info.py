"""``nova-toolkit info --collection DIR [--json]``: settings and counts of a collection."""

from __future__ import annotations

import argparse
import json
from typing import Any

from nova_toolkit.cli.common import add_media_root, json_text, shown

NAME = "info"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``info`` to ``subparsers``; its handler is :func:`run`."""
    i = subparsers.add_parser(NAME, help="settings and counts of a collection")
    i.add_argument("--collection", required=True, metavar="DIR")
    add_media_root(i)
    i.add_argument("--json", action="store_true")
    i.set_defaults(handler=run)
    return i


def run(args: argparse.Namespace) -> int:
    """Print :meth:`Collection.info` (readable, or as JSON)."""
    from nova_toolkit.collection import Collection

    info = Collection.open(args.collection, create=False, media_root=args.media_root).info()
    if args.json:
        print(json_text(info, indent=2))
        return 0
    s = info["settings"]
    print(f"collection {shown(info['path'])} (format {info['format_version']}, version {info['version']})")
    if info.get("media_root"):
        print(f"  media root {shown(info['media_root'])} (sources are paths relative to it)")
    print(f"  backend {s['backend']}  model {s['model_id']}  dimension {s['dimension']}  "
          f"purpose {s['purpose']}  document mode {s.get('document_mode', 'text')}")
    print(f"  segmentation {json.dumps(s['segmentation'], sort_keys=True)}")
    by = ", ".join(f"{k} {v}" for k, v in sorted(info["items_by_modality"].items()))
    print(f"  {info['items']} items ({by or 'none'}), {info['segments']} vector rows, "
          f"{info['failures']} failures")
    return 0
