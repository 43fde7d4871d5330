"""Video through the local backend: key frames as pictures, the sound track as speech."""

from __future__ import annotations

import numpy as np

from nova_toolkit.embedders import Embedding
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import SegmentationConfig, segment_item


def embed(embedder, path, mode="AUDIO_VIDEO_COMBINED", seconds=5.0):
    item = MediaItem.from_path(path)
    segs = segment_item(item, SegmentationConfig(1000, 0, seconds, mode))
    return item, segs, embedder.embed([(item, segs)], purpose="GENERIC_INDEX",
                                      embedding_mode=mode)[0]


def test_silent_video_gives_frame_rows(local_embedder, media_dir):
    item, segs, rows = embed(local_embedder, media_dir / "rocket-silent.mp4")
    assert item.modality == "video"
    assert [(s.start_s, s.end_s) for s in segs] == [(0.0, 5.0), (5.0, 7.0)]
    assert [r.embedding_type for r in rows] == ["AUDIO_VIDEO_COMBINED"] * 2
    assert all(r.vector.shape == (384,) and abs(np.linalg.norm(r.vector) - 1) < 1e-5 for r in rows)
    assert "labels:" in rows[0].snippet and "speech" not in rows[0].snippet
    q = local_embedder.embed_texts(["a rocket", "a cat"])
    assert q[0] @ rows[0].vector > q[1] @ rows[0].vector


def test_video_with_speech_combined_and_separate(local_embedder, media_dir):
    _, segs, combined = embed(local_embedder, media_dir / "cat-talk.mp4")
    assert len(combined) == len(segs) and combined[0].embedding_type == "AUDIO_VIDEO_COMBINED"
    assert combined[0].snippet.startswith("speech:") and "cat" in combined[0].snippet
    _, _, separate = embed(local_embedder, media_dir / "cat-talk.mp4", "AUDIO_VIDEO_SEPARATE")
    kinds = [(r.segment_index, r.embedding_type) for r in separate]
    assert kinds[:2] == [(0, "AUDIO"), (0, "VIDEO")] or kinds[:2] == [(0, "VIDEO"), (0, "AUDIO")]
    assert len(separate) == 2 * len(segs)
    video = next(r for r in separate if r.embedding_type == "VIDEO")
    audio = next(r for r in separate if r.embedding_type == "AUDIO")
    q = local_embedder.embed_texts(["a cat"])[0]
    assert q @ video.vector > q @ audio.vector
    # the combined row sits between its two parts
    assert combined[0].vector @ video.vector > 0.5 and combined[0].vector @ audio.vector > 0.5


def test_container_with_only_sound_goes_the_audio_way(local_embedder, media_dir):
    item, _, rows = embed(local_embedder, media_dir / "sound-only.mp4")
    assert item.modality == "video"
    assert rows and all(isinstance(r, Embedding) and r.embedding_type == "AUDIO" for r in rows)


def test_video_query_by_example(local_embedder, media_dir):
    v = local_embedder.embed_query(MediaItem.from_path(media_dir / "rocket-silent.mp4"))
    assert v.shape == (384,) and abs(np.linalg.norm(v) - 1) < 1e-5
