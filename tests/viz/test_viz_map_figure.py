"""nova_toolkit.viz.map_figure: every row on the semantic map, hover text, colouring."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nova_toolkit import analysis, viz

pytestmark = pytest.mark.slow


def _points(fig):
    return sum(len(t.x) for t in fig.data)


def test_semantic_map_by_modality_has_every_row_and_hover(coll, pca_coords):
    df = coll.to_pandas()
    fig = viz.semantic_map(coll, coords=pca_coords)
    assert _points(fig) == len(df)
    assert {t.name for t in fig.data} == set(df.modality)
    assert all(t.type == "scattergl" for t in fig.data)
    keys = [c[1] for t in fig.data for c in t.customdata]
    assert sorted(keys) == sorted(df.key)
    # hover: file name, offsets and (trimmed) snippet of the row
    by_key = {c[1]: txt for t in fig.data for c, txt in zip(t.customdata, t.text, strict=True)}
    audio = df[(df.modality == "audio") & (df.segment_index == 1)].iloc[0]
    text = by_key[audio.key]
    assert os.path.basename(audio.source) in text and "0:05.0" in text
    assert audio.snippet.split()[0] in text
    page = df[df.modality == "document"].iloc[0]
    assert f"page {int(page.page)}" in by_key[page.key]


def test_color_by_cluster_field_and_metadata(coll, pca_coords):
    clusters = analysis.cluster(coll, n_clusters=4)
    fig = viz.semantic_map(coll, coords=pca_coords, color_by="cluster", clusters=clusters)
    assert len(fig.data) == 4 and _points(fig) == len(coll)
    for t in fig.data:
        cid = int(t.name.split(":")[0])
        assert t.name.endswith(clusters.names[cid])
        assert all(clusters.labels[c[0]] == cid for c in t.customdata)
    fig = viz.semantic_map(coll, coords=pca_coords, color_by="embedding_type")
    assert {t.name for t in fig.data} == set(coll.to_pandas().embedding_type)
    with pytest.raises(ValueError, match="color_by"):
        viz.semantic_map(coll, coords=pca_coords, color_by="no_such_field")
    with pytest.raises(ValueError, match="coords"):
        viz.semantic_map(coll, coords=np.zeros((3, 2)))


def test_color_by_user_metadata(coll, tmp_path):
    extra = tmp_path / "x"
    extra.mkdir()
    (extra / "note.txt").write_text("A note about lighthouses on rocky coasts.")
    coll.add([str(extra)], metadata={"team": "blue"}, progress=False)
    fig = viz.semantic_map(coll, coords=analysis.project(coll, "pca"), color_by="team",
                           thumbnails_max=0)
    assert {t.name for t in fig.data} == {"blue", viz.NONE_LABEL}
