"""Tests for nova_toolkit.segment.chunking: property checks of chunk_text over many random texts."""

from __future__ import annotations

import random

import pytest

from nova_toolkit.segment import Segment, SegmentationConfig, chunk_text, segment_text

WORDS = [
    *("a", "an", "the", "cat", "sat", "on", "mat", "quick", "brown", "fox"),
    *("jumps", "over", "lazy", "dog", "embedding", "vector"),
]
SEPARATORS = [" ", " ", " ", " ", "  ", "\n", ". ", "! ", "\n\n", "\t", ", "]


def random_text(rng: random.Random, n_words: int, max_word: int | None = None) -> str:
    parts = [rng.choice(["", " ", "\n\n  "])]
    for _ in range(n_words):
        if max_word is None:
            word = rng.choice(WORDS)
        else:
            word = "".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, max_word)))
        parts.append(word)
        parts.append(rng.choice(SEPARATORS))
    parts.append(rng.choice(["", " ", "\n"]))
    return "".join(parts)


def check_invariants(text: str, segs: list[Segment], max_chars: int) -> None:
    """Properties every chunking must have, whatever the settings."""
    covered = bytearray(len(text))
    prev_start = -1
    for i, s in enumerate(segs):
        assert s.index == i
        assert 0 <= s.char_start < s.char_end <= len(text)
        assert s.text == text[s.char_start : s.char_end]
        assert s.text and s.text == s.text.strip()
        assert len(s.text) <= max_chars
        assert s.char_start > prev_start, "starts must strictly increase (progress)"
        if i:
            assert s.char_end > segs[i - 1].char_end, "each chunk must add new text"
        prev_start = s.char_start
        assert (s.start_s, s.end_s, s.page) == (None, None, None)
        for k in range(s.char_start, s.char_end):
            covered[k] = 1
    missing = [k for k, ch in enumerate(text) if not ch.isspace() and not covered[k]]
    assert not missing, f"non-whitespace chars not covered at {missing[:5]}"


def word_spans(text: str) -> list[tuple[int, int]]:
    spans, i, n = [], 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        j = i
        while j < n and not text[j].isspace():
            j += 1
        spans.append((i, j))
        i = j
    return spans


SETTINGS = [
    (1, 0),
    (3, 0),
    (5, 2),
    (8, 0),
    (10, 3),
    (20, 0),
    (20, 10),
    (37, 36),
    (64, 16),
    (200, 50),
]


@pytest.mark.parametrize("max_chars,overlap", SETTINGS)
@pytest.mark.parametrize("seed", range(25))
def test_random_texts_invariants(seed, max_chars, overlap):
    rng = random.Random(seed * 1000 + max_chars)
    text = random_text(rng, rng.randint(0, 120), max_word=rng.choice([None, 4, 12, 30]))
    segs = chunk_text(text, max_chars=max_chars, overlap_chars=overlap)
    check_invariants(text, segs, max_chars)
    if not text.strip():
        assert segs == []


@pytest.mark.parametrize("max_chars,overlap", [(m, o) for m, o in SETTINGS if m >= 5])
@pytest.mark.parametrize("seed", range(25))
def test_word_boundaries_respected_when_words_fit(seed, max_chars, overlap):
    rng = random.Random(seed)
    text = random_text(rng, 150, max_word=min(max_chars - 1, 12))  # +1 for ". " etc.
    segs = chunk_text(text, max_chars=max_chars, overlap_chars=overlap)
    check_invariants(text, segs, max_chars)
    starts = {a for a, _ in word_spans(text)}
    ends = {b for _, b in word_spans(text)}
    for s in segs:
        assert s.char_start in starts, (s, text[s.char_start - 5 : s.char_end])
        assert s.char_end in ends, (s, text[s.char_start : s.char_end + 5])


@pytest.mark.parametrize("seed", range(30))
def test_overlap_is_bounded_and_aligned(seed):
    rng = random.Random(seed)
    max_chars, overlap = rng.choice([(30, 10), (50, 20), (80, 40), (12, 4)])
    text = random_text(rng, 200)  # short dictionary words: always fit
    segs = chunk_text(text, max_chars=max_chars, overlap_chars=overlap)
    check_invariants(text, segs, max_chars)
    overlapping = 0
    for a, b in zip(segs, segs[1:], strict=False):
        shared = a.char_end - b.char_start
        assert shared <= overlap  # never more than asked for after a whitespace cut
        if shared > 0:
            overlapping += 1
            assert text[b.char_start - 1].isspace()  # starts at a word
    assert overlapping >= len(segs) // 3


def test_no_overlap_means_disjoint_chunks():
    rng = random.Random(7)
    text = random_text(rng, 300)
    segs = chunk_text(text, max_chars=40)
    for a, b in zip(segs, segs[1:], strict=False):
        assert a.char_end < b.char_start


def test_simple_example():
    text = "The quick brown fox jumps over the lazy dog"
    segs = chunk_text(text, max_chars=15)
    assert [s.text for s in segs] == ["The quick brown", "fox jumps over", "the lazy dog"]
    assert [(s.char_start, s.char_end) for s in segs] == [(0, 15), (16, 30), (31, 43)]
    with_overlap = chunk_text(text, max_chars=15, overlap_chars=6)
    assert [s.text for s in with_overlap] == [
        "The quick brown",
        "brown fox jumps",
        "jumps over the",
        "the lazy dog",
    ]


def test_prefers_paragraph_then_sentence_break_near_the_end():
    para = "aaaa bbbb cccc dddd eeee ffff gggg hhhh\n\niiii jjjj"
    # window 45: a paragraph break at 39 lies within the last 20 % (36..45)
    assert chunk_text(para, max_chars=45)[0].text == "aaaa bbbb cccc dddd eeee ffff gggg hhhh"
    sent = "aaaa bbbb cccc dddd eeee ffff gggg hhh. iiii jjjj kkkk"
    assert chunk_text(sent, max_chars=45)[0].text == "aaaa bbbb cccc dddd eeee ffff gggg hhh."
    # a break early in the window is not preferred over filling the chunk
    early = "aaaa. bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj"
    assert (
        chunk_text(early, max_chars=45)[0].text == "aaaa. bbbb cccc dddd eeee ffff gggg hhhh iiii"
    )


def test_long_word_is_hard_split():
    word = "x" * 25
    text = f"ab {word} cd"
    segs = chunk_text(text, max_chars=10)
    check_invariants(text, segs, 10)
    assert [s.text for s in segs] == ["ab", "x" * 10, "x" * 10, "xxxxx cd"]
    segs = chunk_text(word, max_chars=10, overlap_chars=9)  # overlap nearly a whole chunk
    check_invariants(word, segs, 10)
    assert all(len(s.text) == 10 for s in segs[:-1])
    assert len(segs) == 16  # one char of progress each time, and it terminates


def test_max_chars_one():
    text = "ab c"
    segs = chunk_text(text, max_chars=1)
    assert [s.text for s in segs] == ["a", "b", "c"]


def test_unicode_emoji_and_cjk():
    cjk = "我们今天去公园散步然后回家吃饭" * 5  # no spaces at all
    segs = chunk_text(cjk, max_chars=7, overlap_chars=2)
    check_invariants(cjk, segs, 7)
    assert len(segs) > 5
    emoji = "hello 👋🏽 world 🌍🌎🌏 family 👨‍👩‍👧‍👦 end " * 10
    for max_chars, overlap in [(5, 0), (12, 4), (30, 10)]:
        segs = chunk_text(emoji, max_chars=max_chars, overlap_chars=overlap)
        check_invariants(emoji, segs, max_chars)
    # a CJK sentence end near the end of the window is a good place to cut
    text = "一二三四五六七八。九十一二三四五六七八"
    assert chunk_text(text, max_chars=10)[0].text == "一二三四五六七八。"


def test_combining_marks_stay_with_their_base_when_hard_splitting():
    text = "e\u0301" * 10  # 'é' as e + combining acute, no spaces
    segs = chunk_text(text, max_chars=5)
    check_invariants(text, segs, 5)
    for s in segs:
        assert s.text[0] == "e"


def test_empty_and_whitespace():
    assert chunk_text("", max_chars=10) == []
    assert chunk_text(" \n\t  \n", max_chars=10) == []
    segs = chunk_text("   padded   ", max_chars=100)
    assert [(s.text, s.char_start, s.char_end) for s in segs] == [("padded", 3, 9)]


def test_chunk_text_argument_errors():
    with pytest.raises(ValueError, match="max_chars"):
        chunk_text("x", max_chars=0)
    with pytest.raises(ValueError, match="overlap_chars"):
        chunk_text("x", max_chars=5, overlap_chars=5)
    with pytest.raises(ValueError, match="overlap_chars"):
        chunk_text("x", max_chars=5, overlap_chars=-1)



def test_segment_text_uses_config():
    text = "one two three four five six seven"
    cfg = SegmentationConfig(max_chars=9, overlap_chars=4)
    assert segment_text(text, cfg) == chunk_text(text, max_chars=9, overlap_chars=4)
