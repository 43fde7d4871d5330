"""Audio through the local backend: ffmpeg → pocketsphinx → per-window transcripts → text space."""

from __future__ import annotations

import numpy as np

from nova_toolkit.embedders import Embedding
from nova_toolkit.embedders.local.speech import Word, describe_sound, words_in
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import SegmentationConfig, segment_item


def embed(embedder, path, seconds=5.0):
    item = MediaItem.from_path(path)
    segs = segment_item(item, SegmentationConfig(max_chars=1000, segment_seconds=seconds))
    return segs, embedder.embed([(item, segs)], purpose="GENERIC_INDEX")[0]


def test_words_go_to_the_window_holding_their_middle():
    words = [Word("a", 0.0, 0.4), Word("b", 4.8, 5.4), Word("c", 9.9, 10.0)]
    assert [w.text for w in words_in(words, 0, 5)] == ["a"]
    assert [w.text for w in words_in(words, 5, 10, last=True)] == ["b", "c"]


def test_describe_sound():
    assert describe_sound(np.zeros(16000, dtype=np.int16)) == "silence"
    t = np.arange(16000) / 16000
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    assert "tone" in describe_sound(tone)
    noise = np.random.default_rng(0).normal(0, 4000, 16000).astype(np.int16)
    assert "noise" in describe_sound(noise)


def test_silence_gets_rows_not_failures(local_embedder, media_dir):
    segs, rows = embed(local_embedder, media_dir / "silence.wav", seconds=2)
    assert [(s.start_s, s.end_s) for s in segs] == [(0.0, 2.0), (2.0, 3.5)]
    assert all(isinstance(r, Embedding) and r.embedding_type == "AUDIO" for r in rows)
    assert rows[0].snippet == "[no speech: silence]"
    assert all(abs(np.linalg.norm(r.vector) - 1) < 1e-5 for r in rows)


def test_speech_windows_transcripts_and_crossmodal(local_embedder, media_dir):
    segs, rows = embed(local_embedder, media_dir / "speech.wav", seconds=3)
    assert len(rows) == len(segs) >= 2
    assert segs[0].start_s == 0.0 and segs[1].start_s == 3.0
    assert all(isinstance(r, Embedding) and r.vector.shape == (384,) for r in rows)
    text = " ".join(r.snippet for r in rows)
    assert "fox" in text or "dog" in text, text
    assert "water" in text or "coffee" in text or "beans" in text, text
    _, silent = embed(local_embedder, media_dir / "silence.wav")
    q = local_embedder.embed_texts(["a quick brown fox and a lazy dog"])[0]
    assert max(q @ r.vector for r in rows) > q @ silent[0].vector + 0.1
    _, mp3 = embed(local_embedder, media_dir / "speech.mp3", seconds=3)
    assert all(isinstance(r, Embedding) and r.embedding_type == "AUDIO" for r in mp3)
    qv = local_embedder.embed_query(MediaItem.from_path(media_dir / "speech.wav"))
    assert qv.shape == (384,) and abs(np.linalg.norm(qv) - 1) < 1e-5


def test_a_transcript_does_not_depend_on_the_files_decoded_before_it(sample_dir):
    """The decoder's front end adapts across utterances; each file starts afresh (engines,
    actors and re-runs decode files in different orders and must store the same rows)."""
    import random

    from nova_toolkit.decode import decode_audio
    from nova_toolkit.embedders.local import speech
    from nova_toolkit.media import MediaItem

    clips = [decode_audio(MediaItem.from_path(p)) for p in sorted((sample_dir / "audio").iterdir())]
    rng = random.Random(0)
    for target in clips[:3]:
        alone = [(w.text, w.start_s) for w in speech.transcribe(target)]
        for _ in range(2):
            for other in rng.sample(clips, 5):
                speech.transcribe(other)
            assert [(w.text, w.start_s) for w in speech.transcribe(target)] == alone
