"""Overhead of the local backend's pipeline over its raw models, measured in one process.

    python benchmarks/bench_local_models.py [--images 24] [--repeat 3]

- images/s through ``LocalEmbedder.embed`` (decode, pixel-limit check, OCR gate, ConSE,
  prefix cut) vs the raw EfficientNet forward (same variant, same flip TTA, batches of 4)
  + ConSE mapping on the already-decoded images;
- audio real-time factor (seconds of audio per second of work) through ``LocalEmbedder.embed``
  (ffmpeg decode, utterance split, pocketsphinx, window assignment, MiniLM) vs raw
  pocketsphinx on the same 16 kHz samples as one utterance.

Prints the ratios (pipeline / raw; 1.0 = no overhead). Uses natural photos from scikit-image
(no text, so the OCR gate should stay closed) and speech from ``flite`` when installed, else
``data/sample/audio``.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def photos(n: int):
    from PIL import Image
    from skimage import data

    names = ["chelsea", "coffee", "rocket", "astronaut", "cat", "immunohistochemistry"]
    out = []
    for i in range(n):
        arr = getattr(data, names[i % len(names)])()
        im = Image.fromarray(arr).convert("RGB")
        if i >= len(names):  # distinct content per item (no cache effects anywhere)
            im = im.rotate(3 * (i // len(names)), expand=False)
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def speech_clip(tmp: Path) -> Path:
    if shutil.which("flite"):
        text = ("Coffee is brewed by passing hot water through ground beans. "
                "The rocket climbed towards orbit while the crew watched the instruments. "
                "A cat slept on the sofa all afternoon, ignoring the rain outside. ") * 2
        out = tmp / "speech.wav"
        subprocess.run(["flite", "-t", text, "-o", str(out)], check=True)
        return out
    clips = sorted((ROOT / "data" / "sample" / "audio").glob("*.wav"))
    if not clips:
        raise SystemExit("no speech: install flite or add data/sample/audio/*.wav")
    return clips[0]


def bench_images(emb, n: int, repeat: int) -> None:
    from nova_toolkit.decode import open_image
    from nova_toolkit.embedders.local.image import conse
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

    blobs = photos(n)
    items = [MediaItem.from_bytes(b, source=f"img{i}.jpg") for i, b in enumerate(blobs)]
    batch = [(it, [Segment(0)]) for it in items]
    decoded = [open_image(it) for it in items]
    vision = emb.vision
    labels = vision.label_space()
    emb.embed(batch[:4], purpose="GENERIC_INDEX")  # load models

    def raw():
        conse(vision.classifier.probabilities(decoded), labels)

    def pipe():
        out = emb.embed(batch, purpose="GENERIC_INDEX")
        assert all(len(r) == 1 and hasattr(r[0], "vector") for r in out), out

    t_raw = best_of(raw, repeat)
    t_pipe = best_of(pipe, repeat)
    gated = sum("text:" in r[0].snippet for r in emb.embed(batch, purpose="GENERIC_INDEX"))
    print(f"images ({emb.image_model}, flip TTA, n={n}): raw forward+ConSE {n / t_raw:6.1f} img/s | "
          f"pipeline {n / t_pipe:6.1f} img/s | ratio {t_raw / t_pipe:.2f}x "
          f"(OCR ran on {gated} of {n})")


def bench_audio(emb, repeat: int) -> None:
    from nova_toolkit.decode import decode_audio
    from nova_toolkit.embedders.local import speech
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import SegmentationConfig, segment_item

    with tempfile.TemporaryDirectory() as tmp:
        path = speech_clip(Path(tmp))
        item = MediaItem.from_path(path)
    samples = decode_audio(item)
    seconds = samples.size / speech.RATE
    segs = segment_item(item, SegmentationConfig(max_chars=1000))
    emb.embed([(item, segs)], purpose="GENERIC_INDEX")  # load models

    def raw():
        with speech._lock:
            dec = speech._load()
            dec.start_utt()
            dec.process_raw(samples.tobytes(), no_search=False, full_utt=True)
            dec.end_utt()
            _ = [s.word for s in dec.seg()]

    def pipe():
        emb.embed([(item, segs)], purpose="GENERIC_INDEX")

    t_raw = best_of(raw, repeat)
    t_pipe = best_of(pipe, repeat)
    print(f"audio ({seconds:.1f} s, {len(segs)} windows): raw pocketsphinx {seconds / t_raw:5.1f}x "
          f"real time | pipeline {seconds / t_pipe:5.1f}x real time | ratio {t_raw / t_pipe:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--image-model", default=None)
    args = ap.parse_args()
    from nova_toolkit.embedders import get_embedder

    emb = get_embedder("local", image_model=args.image_model)
    bench_images(emb, args.images, args.repeat)
    bench_audio(emb, args.repeat)


if __name__ == "__main__":
    main()
