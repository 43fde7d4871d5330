"""The README's screenshots: the semantic map, a search gallery and a notebook, in headless Chromium.

    python docs/make_screenshots.py [--collection build/demo-collection] [--out docs]

Uses the sample library's collection that ``make demo`` builds (embedded here first if it is
missing). It writes, under ``build/docs/``, the map (``nova-toolkit map``), a gallery page
(``viz.hits_html`` of one search) and 01_quickstart exported to static HTML
(``viz.export_notebook``, run against that collection), opens each in headless Chromium
through tests/cdp.py (a throw-away profile, DevTools on 127.0.0.1, every other host
unresolvable so nothing can come from the network) and saves a PNG of each, reduced to a
palette so it stays small (< 300 KB). ``make docs`` runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the DevTools driver the browser tests use

import cdp  # noqa: E402

OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
MAX_BYTES = 300_000
GALLERY_QUERY = "a rocket on the launch pad"


def _bin(name: str) -> str:
    here = Path(sys.executable).with_name(name)
    return str(here) if here.exists() else name


def ensure_collection(collection: Path) -> None:
    """Embed data/sample into ``collection`` unless it holds rows already (as ``make demo``)."""
    if (collection / "manifest.json").exists():
        return
    subprocess.run([_bin("nova-toolkit"), "embed", str(ROOT / "data" / "sample"),
                    "--collection", str(collection), "--no-progress"], check=True)


def make_map(collection: Path, work: Path) -> Path:
    out = work / "map.html"
    subprocess.run([_bin("nova-toolkit"), "map", "--collection", str(collection), "--out",
                    str(out), "--color-by", "cluster", "--title", "The sample library"],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def make_gallery(collection: Path, work: Path) -> Path:
    from nova_toolkit import Collection
    from nova_toolkit.viz import hits_html

    coll = Collection.open(collection, create=False)
    hits = coll.search(GALLERY_QUERY, top_k=8)
    body = hits_html(hits, collection=coll, px=150, group_by_source=True)
    out = work / "gallery.html"
    out.write_text("<!doctype html><meta charset=utf-8><title>gallery</title>"
                   "<body style='font-family:sans-serif;font-size:14px;margin:16px'>"
                   f"<h3>search: “{GALLERY_QUERY}”</h3>{body}</body>", encoding="utf-8")
    return out


def make_notebook(collection: Path, work: Path) -> Path:
    from nova_toolkit.viz import export_notebook

    os.environ["NOVA_TOOLKIT_COLLECTION"] = str(collection.resolve())
    run_in = work / "run"
    run_in.mkdir(exist_ok=True)
    return export_notebook(ROOT / "notebooks" / "01_quickstart.ipynb",
                           work / "01_quickstart.html", cwd=run_in)


def _png(data: bytes, path: Path) -> int:
    """Save a screenshot with a 128-colour palette (text and flat colours: no visible loss)."""
    from PIL import Image

    im = Image.open(io.BytesIO(data)).convert("RGB")
    colours = 128
    while True:
        buf = io.BytesIO()
        im.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(
            buf, "PNG", optimize=True)
        if buf.tell() <= MAX_BYTES or colours <= 16:
            break
        colours //= 2
    path.write_bytes(buf.getvalue())
    return buf.tell()


def shoot(page: cdp.Chromium, url: str, *, width: int, height: int, wait: str,
          scroll_to: str | None = None) -> bytes:
    page.send("Emulation.setDeviceMetricsOverride",
              {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    page.navigate(url)
    page.wait_for(wait)
    if scroll_to:
        page.evaluate(f"document.querySelector({scroll_to!r}).scrollIntoView()")
    # two animation frames: WebGL points and players' first frames reach the screen
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    # players show their first frame, not a loading spinner (a slow decoder: still controls)
    with contextlib.suppress(cdp.CDPError):
        page.wait_for("[...document.querySelectorAll('video')]"
                      ".every(v => v.readyState >= 2 && !v.seeking)", timeout=15)
    page.evaluate("new Promise(r => setTimeout(r, 500))")
    return page.screenshot()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--collection", type=Path, default=ROOT / "build" / "demo-collection")
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "docs")
    args = ap.parse_args(argv)
    if not cdp.find_chromium():
        print(cdp.MISSING, file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    ensure_collection(args.collection)
    pages = {
        "map": (make_map(args.collection, args.work), 1100, 700,
                "!!document.querySelector('.js-plotly-plot .main-svg')", None),
        "gallery": (make_gallery(args.collection, args.work), 1000, 760,
                    "document.querySelectorAll('.nova-hit').length > 0", None),
        "notebook": (make_notebook(args.collection, args.work), 1100, 800,
                     "!!document.querySelector('.nova-hits')", "#A-first-search"),
    }
    with cdp.Chromium(extra_flags=OFFLINE) as page:
        for name, (html, width, height, wait, scroll) in pages.items():
            data = shoot(page, html.resolve().as_uri(), width=width, height=height,
                         wait=wait, scroll_to=scroll)
            target = args.out / f"screenshot-{name}.png"
            size = _png(data, target)
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                  f"  {size / 1000:.0f} KB")
        errors = page.errors(ignore=("GL Driver Message",))
        if errors:
            print("console errors:\n" + "\n".join(map(str, errors)), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
