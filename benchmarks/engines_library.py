"""A deterministic mixed media library for ``bench_engines.py``: texts, images, audio, PDFs.

Every file has its own bytes (apart from the few exact duplicates asked for) and is real media:
texts are varied sentences; images are crops / rotations / colour shifts of
``data/sample/images/*`` with a small drawn mark; audio clips are trims of
``data/sample/audio/*`` (decoded with the project's ffmpeg) at another gain and speed, written
as 16 kHz WAV; PDFs are one or two pages of text made with fpdf2.

    python benchmarks/engines_library.py OUT_DIR [--n 200 --seed 0]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance

from nova_toolkit.decode.ffmpeg import ffmpeg_exe

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
AUDIO_RATE = 16000
WORDS = ("river", "mountain", "coffee", "train", "rocket", "orbit", "dog", "beach", "pasta",
         "basil", "piano", "forest", "bird", "sailing", "wind", "harbour", "engine", "station",
         "ticket", "recipe", "garlic", "tomato", "music", "melody", "owl", "oak", "tide",
         "ocean", "storm", "city", "bridge", "market", "bread", "cheese", "garden", "lantern")
TEMPLATES = ("The {a} near the {b} was quiet on day {n}.",
             "We walked from the {a} to the {b} and back before {n} o'clock.",
             "A small {a} can change how a {b} feels in the evening.",
             "Nobody expected the {a} to outlast the {b}, yet it did for {n} years.",
             "Notes on the {a}: check the {b} first, then count to {n}.",
             "Every {a} in the old {b} had a number, and this one was {n}.")


@dataclass
class Mix:
    """Files of each kind in a library (``dupes`` are exact copies of other files)."""

    text: int = 0
    image: int = 0
    audio: int = 0
    pdf: int = 0
    dupes: int = 0
    files: dict[str, list[Path]] = field(default_factory=dict)

    @classmethod
    def of(cls, n: int, fractions: dict[str, float], dupes: int) -> Mix:
        """``n`` files split by ``fractions`` of image/audio/pdf; texts take the rest."""
        dupes = min(dupes, max(0, n - 1))
        rest = n - dupes
        counts = {k: int(round(rest * fractions.get(k, 0.0))) for k in ("image", "audio", "pdf")}
        return cls(text=rest - sum(counts.values()), dupes=dupes, **counts)

    @property
    def total(self) -> int:
        return self.text + self.image + self.audio + self.pdf + self.dupes

    def describe(self) -> str:
        t = max(1, self.total)
        return ", ".join(f"{getattr(self, k)} {k} ({100 * getattr(self, k) / t:.1f} %)"
                         for k in ("text", "image", "audio", "pdf", "dupes"))

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("text", "image", "audio", "pdf", "dupes")}


def _sample_sentences() -> list[str]:
    """Sentences of the sample texts (markup stripped)."""
    out: list[str] = []
    for path in sorted((SAMPLE / "text").iterdir()):
        text = re.sub(r"<[^>]+>|[#*_`]", " ", path.read_text(encoding="utf-8"))
        out += [s.strip() + "." for s in re.split(r"[.!?]\s+", " ".join(text.split()))
                if len(s.split()) >= 4]
    return out


def text_body(rng: random.Random, pool: list[str], n: int) -> str:
    """A few paragraphs of sample sentences and templated ones; ``n`` makes it unique."""
    paragraphs = []
    for _ in range(rng.randint(1, 3)):
        sents = []
        for _ in range(rng.randint(2, 6)):
            if rng.random() < 0.5:
                sents.append(rng.choice(pool))
            else:
                sents.append(rng.choice(TEMPLATES).format(
                    a=rng.choice(WORDS), b=rng.choice(WORDS), n=rng.randint(2, 999)))
        paragraphs.append(" ".join(sents))
    paragraphs[-1] += f" (note {n})"
    return "\n\n".join(paragraphs) + "\n"


def image_variant(rng: random.Random, base: Image.Image) -> Image.Image:
    """A crop, maybe a rotation, a colour shift and a small drawn mark of ``base``."""
    img = base.convert("RGB")
    w, h = img.size
    f = rng.uniform(0.6, 1.0)
    cw, ch = max(64, int(w * f)), max(64, int(h * f))
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    img = img.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.5:
        img = img.rotate(rng.choice((90, 180, 270)) if rng.random() < 0.3
                         else rng.uniform(-15, 15), expand=False, fillcolor=(255, 255, 255))
    img = ImageEnhance.Color(img).enhance(rng.uniform(0.6, 1.4))
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.8, 1.2))
    shift = np.array([rng.randint(-20, 20) for _ in range(3)], dtype=np.int16)
    img = Image.fromarray(np.clip(np.asarray(img, np.int16) + shift, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    mx, my, r = rng.randint(0, img.width - 1), rng.randint(0, img.height - 1), rng.randint(3, 12)
    colour = tuple(rng.randint(0, 255) for _ in range(3))
    draw.ellipse((mx - r, my - r, mx + r, my + r), outline=colour, width=2)
    scale = rng.uniform(0.6, 1.1)
    return img.resize((max(48, int(img.width * scale)), max(48, int(img.height * scale))))


def decode_samples() -> list[np.ndarray]:
    """The sample audio files as mono int16 at 16 kHz (through the project's ffmpeg)."""
    out = []
    for path in sorted((SAMPLE / "audio").iterdir()):
        proc = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-ac", "1", "-ar",
                               str(AUDIO_RATE), "-f", "s16le", "pipe:1"],
                              capture_output=True, check=True)
        out.append(np.frombuffer(proc.stdout, dtype="<i2"))
    return out


def audio_variant(rng: random.Random, samples: np.ndarray) -> np.ndarray:
    """A 1.5-4 s trim of ``samples`` at another gain and speed (resampled), int16."""
    x = samples.astype(np.float32)
    length = min(len(x), int(AUDIO_RATE * rng.uniform(1.5, 4.0)))
    start = rng.randint(0, len(x) - length)
    x = x[start:start + length]
    speed = rng.uniform(0.85, 1.15)
    t = np.arange(0, len(x) - 1, speed)
    x = np.interp(t, np.arange(len(x)), x) * rng.uniform(0.4, 1.3)
    return np.clip(x, -32768, 32767).astype("<i2")


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(AUDIO_RATE)
        w.writeframes(samples.tobytes())


def write_pdf(path: Path, rng: random.Random, pool: list[str], n: int) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for page in range(rng.randint(1, 2)):
        pdf.add_page()
        body = text_body(rng, pool, n * 10 + page)
        pdf.multi_cell(0, 7, body.encode("latin-1", "replace").decode("latin-1"))
    pdf.output(str(path))


def make_library(root: Path, mix: Mix, seed: int = 0) -> Mix:
    """Write ``mix``'s files under ``root`` (deterministic for a seed); ``mix.files`` lists them."""
    rng = random.Random(seed)
    pool = _sample_sentences()
    files: dict[str, list[Path]] = {k: [] for k in ("text", "image", "audio", "pdf", "dupes")}
    for sub in ("text", "images", "audio", "documents", "copies"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(mix.text):
        path = root / "text" / f"note-{i:05d}.{rng.choice(('txt', 'txt', 'md'))}"
        path.write_text(text_body(rng, pool, i), encoding="utf-8")
        files["text"].append(path)
    bases = [Image.open(p) for p in sorted((SAMPLE / "images").iterdir())]
    for i in range(mix.image):
        img = image_variant(rng, rng.choice(bases))
        ext = rng.choice(("png", "jpg"))
        path = root / "images" / f"picture-{i:05d}.{ext}"
        img.save(path, **({"quality": rng.randint(80, 95)} if ext == "jpg" else {}))
        files["image"].append(path)
    sounds = decode_samples() if mix.audio else []
    for i in range(mix.audio):
        path = root / "audio" / f"clip-{i:05d}.wav"
        write_wav(path, audio_variant(rng, rng.choice(sounds)))
        files["audio"].append(path)
    for i in range(mix.pdf):
        path = root / "documents" / f"leaflet-{i:04d}.pdf"
        write_pdf(path, rng, pool, i)
        files["pdf"].append(path)
    originals = [p for k in ("text", "image", "audio", "pdf") for p in files[k]]
    for i in range(mix.dupes):
        src = rng.choice(originals)
        path = root / "copies" / f"copy-{i:03d}-{src.name}"
        shutil.copyfile(src, path)
        files["dupes"].append(path)
    mix.files = files
    return mix


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    mix = make_library(args.out, Mix.of(args.n, {"image": 0.15, "audio": 0.05, "pdf": 0.01}, 10),
                       args.seed)
    print(mix.describe())


if __name__ == "__main__":
    main()
