"""nova_toolkit.workshop: the workshop's checks say what is wrong and hint, never the answer."""

from __future__ import annotations

import re

import pytest

from nova_toolkit import InvalidArgumentError, analysis
from nova_toolkit.workshop import EXERCISES, Workshop

pytestmark = pytest.mark.slow

# what the solutions notebook writes; no hint or message may contain any of it
SOLUTION_BITS = ("modality='video'", 'modality="video"', "top_k=1", "[0]", "file=",
                 "modality='text'", "method='hdbscan'", 'method="hdbscan"', ".n_clusters",
                 "min_cluster_size=3)", "near_duplicates(", "cross_source_only=True",
                 "threshold=0.05", "export_html(", "semantic_map(", "color_by='cluster'")


def _said(capsys) -> str:
    return capsys.readouterr().out.strip()


def test_checks_on_real_answers_and_misses(sample_collection, sample_dir, tmp_path, capsys):
    coll = sample_collection
    ws = Workshop(coll)
    misses = {
        1: [..., "video", coll.search("a cup of coffee", modality="text", top_k=1)[0]],
        2: [..., [], coll.search("espresso", modality="image", top_k=2)],
        3: [..., "3", ws.expected_clusters() + 1],
        4: [..., analysis.near_duplicates(coll, threshold=0.0, cross_source_only=True)],
        5: [..., "map.html", tmp_path / "missing.html"],
    }
    for number, values in misses.items():
        for value in values:
            ws.check(number, value)
            said = _said(capsys)
            assert said.startswith("✘ not yet: ") and "Hint: " in said, (number, said)
            assert not any(bit in said for bit in SOLUTION_BITS), (number, said)
    (tmp_path / "map.html").write_text("<html></html>")
    right = {
        1: coll.search("a cup of coffee on a table", modality="video", top_k=1)[0],
        2: coll.search(file=sample_dir / "audio" / "espresso-order.mp3", modality="text",
                       top_k=3),
        3: analysis.cluster(coll, method="hdbscan", min_cluster_size=3).n_clusters,
        4: analysis.near_duplicates(coll, threshold=0.05, cross_source_only=True),
        5: tmp_path / "map.html",
    }
    for number, value in right.items():
        ws.check(number, value)
        assert _said(capsys) == "✔ well done", number
        ws.check(number, value, strict=True)
        assert _said(capsys) == "✔ well done"
    with pytest.raises(AssertionError, match="exercise 1: top_video is still"):
        ws.check(1, ..., strict=True)
    with pytest.raises(InvalidArgumentError, match="allowed: 1, 2, 3, 4, 5"):
        ws.check(6, None)


def test_hints_get_more_precise_and_never_show_code():
    ws = Workshop(collection=None)  # hints need no collection
    for number, exercise in EXERCISES.items():
        given = [ws.hint(number) for _ in range(len(exercise.hints) + 1)]
        assert given[: len(exercise.hints)] == list(exercise.hints)
        assert given[-1] == exercise.hints[-1]  # the last one repeats
        for hint in exercise.hints:
            assert not any(bit in hint for bit in SOLUTION_BITS), (number, hint)
            assert not re.search(r"\w\(|=", hint), hint  # no call, no keyword argument
