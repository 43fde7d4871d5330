"""Galleries: players never cover titles (measured in headless Chromium), hits grouped by file,
the query file left out."""

from __future__ import annotations

import re

import cdp
import pytest

from nova_toolkit import viz

pytestmark = pytest.mark.slow

# every player / picture of a card against that card's title (and, grouped, the group's title)
BOXES = """(() => {
  const r = e => { const b = e.getBoundingClientRect();
                   return {l: b.left, t: b.top, r: b.right, b: b.bottom, w: b.width, h: b.height}; };
  return [...document.querySelectorAll('.nova-hit, .nova-group')].map(card => ({
    group: card.classList.contains('nova-group'),
    titles: [...card.querySelectorAll(':scope > .nova-title, :scope > div > .nova-title')].map(r),
    media: [...card.querySelectorAll('.nova-player, .nova-thumb')].map(r),
    text: [...card.querySelectorAll(':scope > div:last-child > span')].map(r)}));
})()"""


def _overlap(a: dict, b: dict) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def _page(tmp_path, body: str, name: str):
    path = tmp_path / name
    path.write_text(f"<!doctype html><meta charset=utf-8><body>{body}</body>", encoding="utf-8")
    return path.resolve().as_uri()


def _hits_with_players(coll):
    hits = coll.search("a rocket lifting off, a cat asleep, coffee", top_k=40)
    kinds = {h["modality"] for h in hits}
    assert {"audio", "video"} <= kinds and kinds & {"image", "document"}, kinds
    return hits


@pytest.mark.parametrize("width", [1000, 420])
@pytest.mark.parametrize("group", [False, True])
def test_players_and_pictures_never_cover_titles_or_text(coll, tmp_path, width, group):
    assert cdp.find_chromium(), cdp.MISSING
    hits = _hits_with_players(coll)
    body = viz.hits_html(hits, collection=coll, px=200, group_by_source=group)
    url = _page(tmp_path, body, f"gallery-{width}-{group}.html")
    with cdp.Chromium() as page:
        page.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        page.navigate(url)
        cards = page.evaluate(BOXES)
        assert not page.errors(), page.errors()
    players = [m for c in cards for m in c["media"]]
    assert len(players) >= len(hits) // 2 and all(m["w"] > 0 and m["h"] > 0 for m in players)
    titled = [c for c in cards if c["titles"]]
    assert titled
    for card in cards:
        for box in card["media"]:
            assert box["r"] <= width + 0.5, (width, box)  # no player runs off the page
            for other in card["titles"] + card["text"]:
                assert not _overlap(box, other), (width, group, box, other)
    if group:  # the group's title sits above its hits' players
        for card in (c for c in cards if c["group"]):
            top = min(t["b"] for t in card["titles"])
            assert all(m["t"] >= top - 0.5 for m in card["media"]), card


def test_group_by_source_makes_one_card_per_file_in_rank_order(coll):
    hits = coll.search("a rocket on the launch pad", top_k=12)
    sources = [h["source"] for h in hits]
    repeated = {s for s in sources if sources.count(s) > 1}
    assert repeated  # a video's windows, a text's chunks, a PDF's pages
    body = viz.hits_html(hits, collection=coll, embed_media=False, group_by_source=True)
    order = list(dict.fromkeys(sources))
    groups = body.split('<div class="nova-group"')[1:]
    assert len(groups) == len(order)
    for source, group in zip(order, groups, strict=True):
        name = source.rsplit("/", 1)[-1]
        assert f"{sources.index(source) + 1}. {name}</b>" in group
        assert group.count('class="nova-hit"') == sources.count(source)
        ranks = [int(r) for r in re.findall(r"#(\d+) · ", group)]
        assert ranks == [i + 1 for i, s in enumerate(sources) if s == source]
    flat = viz.hits_html(hits, collection=coll, embed_media=False)
    assert "nova-group" not in flat and flat.count('class="nova-hit"') == len(hits)


def test_exclude_leaves_out_the_query_file(coll, sample_dir):
    query = sample_dir / "images" / "rocket.webp"
    hits = coll.search(file=query, top_k=6)
    assert hits[0]["source"].endswith("rocket.webp")  # the query finds itself first
    for exclude in (query, str(query), hits[0]["source"], [query, "no/such/file.txt"]):
        body = viz.hits_html(hits, collection=coll, embed_media=False, exclude=exclude)
        assert "rocket.webp" not in body, exclude
        assert body.count('class="nova-hit"') == sum(
            not h["source"].endswith("rocket.webp") for h in hits)
        assert "<b class=\"nova-title\">1. " in body  # ranks start again at 1
    kept = viz.hits_html(hits, collection=coll, embed_media=False, exclude="other/file.png")
    assert kept.count('class="nova-hit"') == len(hits)
    shown = viz.show_hits(hits, collection=coll, embed_media=False, exclude=query,
                          group_by_source=True)
    assert "rocket.webp" not in shown.data and "nova-group" in shown.data
