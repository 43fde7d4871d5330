"""Rebuild the sample media library: ``data/sample/`` (development) and ``data/heldout/``.

Run ``python data/build_sample.py`` from anywhere. Needs: numpy, pillow, scikit-image
(bundled CC0 / public-domain photos), fpdf2 (text-layer PDFs), imageio-ffmpeg (its ffmpeg
binary encodes audio and video) and the ``flite`` command (text-to-speech; Debian/Ubuntu:
``apt-get install flite``). Everything is deterministic: fixed seeds, fixed dates, the
font bundled with Pillow, and ffmpeg's bit-exact mode, so a rebuild gives the same bytes
on the same tool versions.

The eight hand-written files already in ``data/sample/text/`` are inputs, not outputs:
this script never touches them (it checks they exist). The held-out set
(``data/heldout/``) holds different media on some of the same topics plus new topics;
it exists to measure retrieval quality on media nobody tuned for, so do not look at its
scores while developing. Labelled queries live in ``tests/quality/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import shutil
import subprocess
import sys
import tempfile
import textwrap
import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample"
HELDOUT = HERE / "heldout"
MODALITY_DIRS = ("text", "documents", "images", "audio", "video")

#: The hand-written dev text files that tests depend on: never generated or modified here.
EXISTING_TEXT = (
    "coffee-brewing.md", "dogs-at-the-beach.txt", "forest-birds.txt", "piano-practice.txt",
    "railway-journeys.txt", "rockets-and-orbit.md", "sailing-basics.txt",
    "tomato-basil-pasta.txt",
)

FIXED_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
LONG_SIDE = 640  # images are at most this many pixels on their long side
VIDEO_SIZE = (320, 240)
VIDEO_FPS = 4


# --------------------------------------------------------------------------- tools

def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")


def ffmpeg(*args: str) -> None:
    run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args])


#: Flags that keep ffmpeg's output byte-identical across runs (no random stream serials,
#: no encoder version strings, no creation times).
BITEXACT = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags", "+bitexact", "-threads", "1"]

AUDIO_CODECS = {
    "wav": ["-c:a", "pcm_s16le"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "48k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "1"],
    "flac": ["-c:a", "flac", "-compression_level", "8"],
}


def tts(text: str, voice: str, wav_out: Path) -> None:
    """Speak ``text`` with a flite voice into a 16 kHz mono 16-bit WAV (0.3 s lead-in)."""
    flite = shutil.which("flite")
    if flite is None:
        sys.exit("flite is not installed (Debian/Ubuntu: apt-get install flite)")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        run([flite, "-voice", voice, "-t", text, "-o", str(raw)])
        ffmpeg("-i", str(raw), "-af", "adelay=300:all=1,apad=pad_dur=0.4",
               "-ar", "16000", "-ac", "1", *BITEXACT, "-c:a", "pcm_s16le", str(wav_out))


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def encode_audio(wav: Path, out: Path) -> None:
    fmt = out.suffix.lstrip(".")
    if fmt == "wav":
        shutil.copyfile(wav, out)
        return
    ffmpeg("-i", str(wav), *BITEXACT, *AUDIO_CODECS[fmt], str(out))


# --------------------------------------------------------------------------- images

def skimage_photo(name: str) -> Image.Image:
    """A scikit-image sample photo as an RGB (or L) PIL image."""
    from skimage import data

    arr = getattr(data, name)()
    if arr.dtype == bool:
        arr = np.where(arr, 255, 0).astype(np.uint8)  # horse: True is the background
    return Image.fromarray(arr)


def fit(im: Image.Image, long_side: int = LONG_SIDE) -> Image.Image:
    scale = long_side / max(im.size)
    if scale >= 1:
        return im.copy()
    size = (round(im.width * scale), round(im.height * scale))
    return im.resize(size, Image.Resampling.LANCZOS)


def save_image(im: Image.Image, out: Path) -> None:
    fmt = out.suffix.lower().lstrip(".")
    if fmt in ("jpg", "jpeg"):
        im.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "webp":
        im.convert("RGB").save(out, "WEBP", quality=80, method=6)
    elif fmt == "gif":
        im.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, "GIF")
    elif fmt == "bmp":
        im.save(out, "BMP")
    elif fmt in ("tif", "tiff"):
        im.save(out, "TIFF", compression="tiff_adobe_deflate")
    else:
        im.save(out, "PNG", optimize=True)


def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled font (the same on every machine, unlike system fonts)."""
    return ImageFont.load_default(size=size)


def text_card(title: str, lines: list[str], size: tuple[int, int], *, paper: str,
              ink: str = "#202020", title_px: int = 34, body_px: int = 24) -> Image.Image:
    """A card or sign with printed text (exercises the OCR path of image embedding)."""
    im = Image.new("RGB", size, paper)
    d = ImageDraw.Draw(im)
    d.rectangle([8, 8, size[0] - 9, size[1] - 9], outline=ink, width=3)
    y = 26
    d.text((28, y), title, font=font(title_px), fill=ink)
    y += int(title_px * 1.6)
    for line in lines:
        d.text((30, y), line, font=font(body_px), fill=ink)
        y += int(body_px * 1.45)
    return im


# --------------------------------------------------------------------------- documents

def text_pdf(pages: list[tuple[str, str]], out: Path, title: str) -> None:
    """A PDF with a real text layer: one (heading, body) per page."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(title)
    pdf.set_author("nova_toolkit sample library")
    pdf.set_creator("data/build_sample.py")
    pdf.set_producer("fpdf2")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(False)  # one short page per topic; keeps the footer on its page
    for heading, body in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("Helvetica", style="B", size=18)
        pdf.multi_cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("Helvetica", size=12)
        for para in body.strip().split("\n\n"):
            pdf.multi_cell(0, 6.5, " ".join(para.split()), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        pdf.set_y(-18)
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 6, f"Page {pdf.page_no()}", align="C")
    pdf.output(str(out))


def scanned_pdf(pages: list[tuple[str, str]], out: Path, seed: int) -> None:
    """An image-only PDF: each page is printed text on a grey-ish, slightly tilted scan."""
    rng = np.random.default_rng(seed)
    images = []
    w, h = 850, 1100  # US letter at 100 dpi
    for heading, body in pages:
        page = Image.new("L", (w, h), 255)
        d = ImageDraw.Draw(page)
        y = 80
        d.text((80, y), heading, font=font(34), fill=20)
        y += 70
        for para in body.strip().split("\n\n"):
            for line in textwrap.wrap(" ".join(para.split()), width=52):
                d.text((80, y), line, font=font(24), fill=30)
                y += 36
            y += 22
        angle = float(rng.uniform(-0.9, 0.9))
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        arr = np.asarray(page, dtype=np.float32)
        arr = arr * 0.93 + 8 + rng.normal(0, 6, arr.shape)  # off-white paper, sensor noise
        specks = rng.random(arr.shape) < 0.0004
        arr[specks] = 90
        images.append(Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)))
    images[0].save(out, "PDF", resolution=100, save_all=True, append_images=images[1:],
                   title="scanned", creationDate=FIXED_DATE.utctimetuple(),
                   modDate=FIXED_DATE.utctimetuple(), quality=70)


# --------------------------------------------------------------------------- video

def letterbox(im: Image.Image, size: tuple[int, int] = VIDEO_SIZE) -> Image.Image:
    im = im.convert("RGB")
    scale = min(size[0] / im.width, size[1] / im.height)
    small = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))),
                      Image.Resampling.LANCZOS)
    frame = Image.new("RGB", size, "black")
    frame.paste(small, ((size[0] - small.width) // 2, (size[1] - small.height) // 2))
    return frame


def crop_frac(im: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    x0, y0, x1, y1 = box
    return im.crop((round(x0 * im.width), round(y0 * im.height),
                    round(x1 * im.width), round(y1 * im.height)))


def stills_frames(im: Image.Image, boxes: list[tuple[float, float, float, float]],
                  seconds: float) -> list[Image.Image]:
    """Frames for a slideshow: each crop box of ``im`` held for an equal share of the time."""
    n = max(1, math.ceil(seconds * VIDEO_FPS))
    stills = [letterbox(crop_frac(im, b)) for b in boxes]
    return [stills[min(len(stills) - 1, i * len(stills) // n)] for i in range(n)]


def pan_frames(im: Image.Image, seconds: float) -> list[Image.Image]:
    """Frames for a slow left-to-right pan with a gentle zoom (no two frames alike)."""
    n = max(2, math.ceil(seconds * VIDEO_FPS))
    out = []
    for i in range(n):
        t = i / (n - 1)
        width = 0.85 - 0.25 * t
        x0 = (1 - width) * t
        y0 = (1 - width) * 0.3
        out.append(letterbox(crop_frac(im, (x0, y0, x0 + width, y0 + width))))
    return out


VIDEO_CODECS = {
    "mp4": ["-c:v", "libx264", "-preset", "medium", "-crf", "30", "-tune", "stillimage",
            "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
    "mov": ["-c:v", "libx264", "-preset", "medium", "-crf", "30", "-tune", "stillimage",
            "-pix_fmt", "yuv420p"],
    "mkv": ["-c:v", "libx264", "-preset", "medium", "-crf", "30", "-tune", "stillimage",
            "-pix_fmt", "yuv420p"],
    "webm": ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "42", "-row-mt", "0",
             "-deadline", "good", "-cpu-used", "2", "-pix_fmt", "yuv420p"],
}
VIDEO_AUDIO = {
    "mp4": ["-c:a", "aac", "-b:a", "40k"],
    "mov": ["-c:a", "aac", "-b:a", "40k"],
    "mkv": ["-c:a", "libmp3lame", "-b:a", "40k"],
    "webm": ["-c:a", "libopus", "-b:a", "32k"],
}


def encode_video(frames: list[Image.Image], out: Path, wav: Path | None) -> None:
    fmt = out.suffix.lstrip(".")
    with tempfile.TemporaryDirectory() as tmp:
        for i, f in enumerate(frames):
            f.save(Path(tmp) / f"f{i:04d}.png")
        args = ["-framerate", str(VIDEO_FPS), "-i", str(Path(tmp) / "f%04d.png")]
        if wav is not None:
            args += ["-i", str(wav), "-map", "0:v", "-map", "1:a", *VIDEO_AUDIO[fmt],
                     "-af", "apad", "-shortest"]
        else:
            args += ["-an"]
        ffmpeg(*args, *VIDEO_CODECS[fmt], "-g", str(VIDEO_FPS * 4), *BITEXACT, str(out))


def audio_only_mp4(wav: Path, out: Path) -> None:
    """An .mp4 (ISO brand, video container) that holds only an AAC audio track."""
    ffmpeg("-i", str(wav), "-vn", "-c:a", "aac", "-b:a", "40k", *BITEXACT, "-f", "mp4", str(out))


# --------------------------------------------------------------------------- content

# Every sentence below was written for this library. Spoken sentences name the key
# nouns plainly so speech recognition has a fair chance.

DEV = {
    "text": {
        "cats-at-home.md": """\
# Living with a house cat

Our cat Chelsea is a tabby with orange and grey stripes and a white chin. She spends most of the
day asleep in a basket by the radiator, and wakes up only when she hears the food bowl. Cats sleep
twelve to sixteen hours a day; in between they groom their fur, sharpen their claws on the
scratching post and stare out of the window at pigeons.

## Feeding

Give a grown cat two small meals a day and always leave fresh water out. Kittens need food more
often. Cow's milk upsets most cats' stomachs, so skip the saucer of milk.
""",
        "photography-with-a-tripod.txt": """\
A tripod is the cheapest way to sharper photographs. With the camera screwed onto three steady
legs you can use a slow shutter speed in dim light, keep the horizon level, and frame the same
scene again and again. Film and video crews use a fluid head so the camera pans smoothly. Set
the lens to manual focus, use the self-timer or a cable release so your finger does not shake
the body, and check the exposure on the histogram before you press the shutter button.
""",
        "astronaut-training.html": """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>How astronauts train</title></head>
<body>
<h1>How astronauts train</h1>
<p>Before a flight, astronauts spend years in training. They practise spacewalks in a huge
swimming pool where a spacesuit floating under water feels almost weightless. They learn to fly
jet aircraft, to speak Russian, and to repair every system of the space station.</p>
<p>Crew members also rehearse emergencies in a full-size model of the spacecraft, and they spend
days in the centrifuge getting used to the strong g-forces of launch and re-entry.
NASA selected its first woman shuttle pilot in 1990.</p>
</body>
</html>
""",
    },
    "images": {
        # name: (scikit-image sample, topic)
        "cat.png": "chelsea",
        "coffee.jpg": "coffee",
        "rocket.webp": "rocket",
        "astronaut.gif": "astronaut",
        "cameraman.bmp": "camera",
    },
    "audio": {
        # name: (voice, sentence)
        "cat-on-the-sofa.wav": ("slt", "A tabby cat is sleeping on the sofa. She purrs softly "
                                "in the warm afternoon sun, and twitches her whiskers while she dreams."),
        "espresso-order.mp3": ("rms", "The barista grinds the coffee beans and pours a hot cup of "
                               "espresso from the shiny coffee machine."),
        "dog-water-bowl.ogg": ("awb", "On hot days at the seaside, bring fresh water and a bowl "
                               "for your dog, and rinse the salt water out of its fur at home."),
        "piano-lesson.flac": ("kal16", "Practice the piano every day. Play the scales slowly with "
                              "each hand, then play the melody with both hands together."),
        "commuter-train.mp3": ("slt", "The commuter train stops at every small station. Passengers "
                               "with tickets wait on the platform while the locomotive pulls in."),
        "birdsong-at-dawn.ogg": ("rms", "In the forest at dawn the birds sing in the trees, and a "
                                 "woodpecker knocks on the trunk of an old oak tree."),
        "spacewalk.flac": ("awb", "The astronaut in a white spacesuit floats outside the space "
                           "station, holding on to a rail during the spacewalk."),
        "sailboat.wav": ("kal", "Sailboat."),  # hard case: a single word
    },
}

DEV_PDF_PAGES = [
    ("Taking your dog to the seaside",
     """Check the signs before you go: many beaches allow dogs only before nine in the morning
     and after seven in the evening in summer. Keep your dog on a lead near other people and
     pick up after it.

     Sand gets hot at midday and can burn paws. Bring shade, a towel and plenty of fresh water,
     because salt water makes dogs ill."""),
    ("Sailing a small dinghy",
     """A dinghy has one mast, a mainsail and often a small jib. Sit on the windward side to
     balance the boat, hold the tiller in your back hand and the mainsheet in your front hand.

     To turn through the wind, call "ready about", push the tiller away and duck under the boom
     as it swings across. Wear a buoyancy aid, and never sail alone in strong wind."""),
    ("Watching birds in the woods",
     """Spring mornings are the best time to watch woodland birds. Learn three songs at a time:
     the robin, the blackbird and the wren are easy to hear. Stand still by a clearing, lift your
     binoculars slowly, and write down what you see in a notebook.

     Woodpeckers leave round holes in dead trees; owls leave pellets of fur and bone under their
     roost."""),
    ("Getting started with a camera",
     """Hold the camera with both hands and tuck your elbows in. For landscapes use a tripod and a
     small aperture so that everything from the grass to the horizon is sharp.

     For portraits, stand back and zoom in, focus on the eyes, and use a wide aperture to blur
     the background. Shoot in the soft light of early morning or late afternoon."""),
    ("Seeing a rocket launch",
     """Launch viewing areas open several hours before lift-off. Bring ear protection, a hat and
     water, and remember that launches are often delayed by weather or technical checks.

     When the engines ignite, a flash of fire and a cloud of steam appear at the pad before the
     sound arrives. The rocket climbs slowly at first, then arcs out over the ocean."""),
]

DEV_SCAN_PAGES = [
    ("Cafe notes: filter coffee",
     """Weigh 30 grams of medium ground coffee for half a litre of water. Rinse the paper filter
     with hot water, add the coffee, and pour a little water to let it bloom.

     After half a minute pour the rest in slow spirals. The brew should be finished in about
     three and a half minutes. Serve in warm cups."""),
    ("Piano lesson notes",
     """This week: C major and G major scales, two octaves, hands together, metronome at 80.
     Keep the wrists loose and the fingers curved.

     Sonatina, bars 9 to 16: left hand quieter than the melody. Practise the hard bars slowly
     ten times before playing the whole piece."""),
]

DEV_CARD = ("Shopping list",
            ["Saturday pasta dinner:", "- 500 g spaghetti", "- 8 ripe tomatoes",
             "- a bunch of fresh basil", "- 2 cloves of garlic", "- parmesan, olive oil"])

DEV_VIDEOS = {
    # name: (image source, crop boxes, voice, narration) ; narration None = silent
    "rocket-launch.mp4": ("rocket", [(0, 0, 1, 1), (0.3, 0.05, 0.75, 0.75)], "rms",
                          "The white rocket stands on the launch pad between the steel towers, "
                          "lit by floodlights at dusk. Soon the engines will ignite and the "
                          "rocket will lift off, carrying a satellite into space."),
    "cat-nap.webm": ("chelsea", [(0, 0, 1, 1), (0.25, 0.0, 0.85, 0.9)], "slt",
                     "Here is our tabby cat again. She lies on the blanket, opens one eye, "
                     "yawns, and goes straight back to sleep. Cats can sleep for sixteen hours "
                     "a day, and this one is no exception."),
    "coffee-break.mov": ("coffee", [(0, 0, 1, 1), (0.2, 0.1, 0.8, 0.9)], "awb",
                         "Time for a coffee break. A fresh cup of coffee on a saucer, with "
                         "a little spoon, on a wooden table in the cafe. The smell of roasted "
                         "coffee beans fills the room."),
    "astronaut-portrait.mkv": ("astronaut", [(0, 0, 1, 1), (0.2, 0.0, 0.8, 0.6)], "rms",
                               "This is an official portrait of an astronaut in an orange flight "
                               "suit, with the American flag and a model of the space shuttle. She "
                               "was the first woman to pilot the shuttle."),
    "cameraman-silent.mp4": ("camera", None, None, None),
}
DEV_AUDIO_ONLY_MP4 = ("pasta-podcast.mp4", "kal16",
                      "Welcome to the kitchen podcast. Tonight we cook spaghetti with a fresh "
                      "tomato sauce, garlic, olive oil and a handful of basil leaves. Boil the "
                      "pasta in salted water and stir the sauce gently.")

HELD = {
    "text": {
        "horse-riding-lessons.txt": """\
Our riding school keeps eleven horses and four ponies. Beginners start on a quiet mare called
Juniper, learning to mount from the left, hold the reins and sit tall in the saddle. After a few
lessons at walk and trot you learn to canter in the arena, and later to ride out on the bridle
paths. Every rider helps to groom and feed the horses, clean the tack and muck out the stables.
""",
        "deep-space-images.md": """\
# Looking back in time

When a space telescope stares at one tiny dark patch of sky for weeks, thousands of faint
galaxies appear. Their light left them billions of years ago, so the picture shows the universe
as it was when it was young. Some galaxies are spirals like the Milky Way, others are red
ellipticals or small blue irregular smudges. Very few of the dots in such a picture are stars
of our own galaxy.
""",
        "ancient-coins.html": """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Collecting ancient coins</title></head>
<body>
<h1>Collecting ancient coins</h1>
<p>Greek and Roman coins were struck by hand: a blank disc of silver or bronze was placed
between two engraved dies and hit with a hammer. That is why no two are exactly alike, and why
the portrait of a god or an emperor is often off centre.</p>
<p>Never clean an old coin with metal polish. Store each one in its own paper envelope and
write down where and when it was found.</p>
</body>
</html>
""",
        "baking-bread.md": """\
# A simple loaf

Mix 500 grams of flour, 10 grams of salt, 7 grams of dried yeast and 350 millilitres of warm
water. Knead the dough for ten minutes until it is smooth and springy, then leave it covered
until it has doubled in size. Shape it into a loaf, let it rise again, and bake it in a hot oven
for thirty five minutes until the crust is brown and the bottom sounds hollow when tapped.
""",
        "kitten-care.txt": """\
Bringing home a kitten: set up a quiet room with a litter tray, a bed, food and water before it
arrives. Young cats play hard and then fall asleep anywhere. Give them toys to chase instead of
your fingers, and book a visit to the vet for vaccinations in the first weeks.
""",
    },
    "images": {
        "horse.png": "horse",
        "deep-field.jpg": "hubble_deep_field",
        "coins.webp": "coins",
        "wall-clock.tiff": "clock",
        "retina.gif": "retina",
    },
    "audio": {
        "horse-gallop.mp3": ("rms", "The brown horse gallops across the green field and jumps "
                             "over the wooden fence, while the rider holds the reins."),
        "galaxies.wav": ("slt", "The space telescope took a picture of thousands of distant "
                         "galaxies, shining in the dark night sky."),
        "bread-oven.flac": ("kal", "Knead the dough for ten minutes, let it rise, then bake the "
                            "bread in a hot oven until the crust is brown."),
        "cat-and-toy-mouse.ogg": ("kal16", "My cat likes to chase a little toy mouse across the "
                                  "kitchen floor, and then she sleeps in her basket."),
        "morning-coffee.mp3": ("awb", "Every morning I make a strong cup of coffee and drink it "
                               "slowly while I read the newspaper."),
        "clock.wav": ("rms", "Clock."),  # hard case: a single word
    },
}

HELD_PDF_PAGES = [
    ("Museum exhibition: coins of the ancient Greeks",
     """The new gallery shows silver and bronze coins from Greek cities around the Mediterranean.
     Many carry the head of a goddess on one side and an owl, a horse or a ship on the other.

     Visitors can handle replica coins at the table by the entrance and try striking a coin with
     a hammer and die."""),
    ("Repair workshop: mending old clocks",
     """Bring a wall clock or mantel clock that has stopped and learn to take the movement apart,
     clean the gears, oil the pivots and set the pendulum so the clock keeps time.

     Please do not bring watches: their parts are too small for this workshop."""),
    ("Riding school open day",
     """Meet the horses and ponies, watch a show jumping display in the arena and book a first
     riding lesson. Helmets and boots can be borrowed at the stables."""),
    ("Free eye check-ups",
     """An optician will check your eyesight and photograph the back of your eye, the retina,
     to look for early signs of disease. The test takes ten minutes and does not hurt."""),
]

HELD_SCAN_PAGES = [
    ("Grandmother's bread recipe",
     """Flour, salt, yeast and warm water. Knead well for ten minutes. Cover with a cloth and
     leave by the stove until doubled.

     Knock back, shape, rise again. Bake hot, about 35 minutes, until it sounds hollow."""),
    ("Note for the cat sitter",
     """Feed Tiger one pouch in the morning and half a cup of dry food at night. Fresh water
     every day. He sleeps on the bed upstairs and hides under the sofa when the doorbell rings.

     The vet's number is on the fridge. Thank you!"""),
]

HELD_CARD = ("Fresh bread baked daily",
             ["Sourdough loaf ....... 4.20", "Rye bread ............ 3.80",
              "Croissant ............ 1.60", "Open 7 am - 6 pm, closed on Monday"])

HELD_VIDEOS = {
    "galaxies.mp4": ("hubble_deep_field", [(0, 0, 1, 1), (0.3, 0.3, 0.7, 0.7)], "awb",
                     "This picture from a space telescope shows thousands of galaxies. Each "
                     "tiny smudge of light is a galaxy far away in deep space. The light "
                     "travelled for billions of years to reach us."),
    "horse.webm": ("horse", [(0, 0, 1, 1), (0.45, 0.0, 1.0, 0.6)], "kal16",
                   "The shape of a horse standing in profile: a long neck, a flowing tail and "
                   "four slender legs. Horses can sleep standing up, and a "
                   "healthy horse eats hay and grass all day long."),
    "old-coins.mov": ("coins", [(0, 0, 1, 1), (0.0, 0.0, 0.5, 0.5)], "slt",
                      "Rows of ancient Greek coins made of silver and bronze, each one stamped "
                      "with the head of a god or a king. Collectors keep "
                      "each coin in its own small envelope."),
    "wall-clock.mkv": ("clock", [(0, 0, 1, 1), (0.2, 0.1, 0.8, 0.9)], "kal",
                       "A round clock on the wall, blurred because the camera moved. The clock "
                       "tells the time with an hour hand and a minute hand. It ticks "
                       "quietly and chimes every hour."),
    "eye-exam-silent.mp4": ("retina", None, None, None),
}
HELD_AUDIO_ONLY_MP4 = ("bakery-radio-ad.mp4", "rms",
                       "Visit the corner bakery for fresh bread, warm croissants and rye loaves, "
                       "baked every morning in our wood fired oven. We are open from seven in "
                       "the morning, every day except Monday.")


# --------------------------------------------------------------------------- build

def build_set(root: Path, spec: dict, pdf_pages, pdf_name: str, pdf_title: str,
              scan_pages, scan_name: str, card, card_name: str, videos: dict,
              audio_only: tuple[str, str, str], seed: int, work: Path) -> None:
    for sub in MODALITY_DIRS:
        (root / sub).mkdir(parents=True, exist_ok=True)

    for name, body in spec["text"].items():
        (root / "text" / name).write_text(body, encoding="utf-8")

    photos: dict[str, Image.Image] = {}
    for name, sample in spec["images"].items():
        photos[sample] = skimage_photo(sample)
        save_image(fit(photos[sample]), root / "images" / name)
    title, lines = card
    save_image(text_card(title, lines, (560, 380), paper="#f6f1e3"), root / "images" / card_name)

    for name, (voice, sentence) in spec["audio"].items():
        wav = work / f"{root.name}-{Path(name).stem}.wav"
        tts(sentence, voice, wav)
        encode_audio(wav, root / "audio" / name)

    text_pdf(pdf_pages, root / "documents" / pdf_name, pdf_title)
    scanned_pdf(scan_pages, root / "documents" / scan_name, seed)

    for name, (sample, boxes, voice, narration) in videos.items():
        im = photos.get(sample) or skimage_photo(sample)
        if narration is None:
            encode_video(pan_frames(im, 12.0), root / "video" / name, None)
            continue
        wav = work / f"{root.name}-video-{Path(name).stem}.wav"
        tts(narration, voice, wav)
        frames = stills_frames(im, boxes, wav_seconds(wav) + 0.5)
        encode_video(frames, root / "video" / name, wav)
    name, voice, narration = audio_only
    wav = work / f"{root.name}-{Path(name).stem}.wav"
    tts(narration, voice, wav)
    audio_only_mp4(wav, root / "video" / name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=("sample", "heldout"), help="build one set only")
    args = ap.parse_args(argv)

    missing = [n for n in EXISTING_TEXT if not (SAMPLE / "text" / n).is_file()]
    if missing:
        sys.exit(f"hand-written text files missing from {SAMPLE / 'text'}: {missing}")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.only in (None, "sample"):
            build_set(SAMPLE, DEV, DEV_PDF_PAGES, "outdoor-handbook.pdf",
                      "Outdoor weekend handbook", DEV_SCAN_PAGES, "scanned-notes.pdf",
                      DEV_CARD, "shopping-list.tiff", DEV_VIDEOS, DEV_AUDIO_ONLY_MP4,
                      seed=1234, work=work)
        if args.only in (None, "heldout"):
            build_set(HELDOUT, HELD, HELD_PDF_PAGES, "community-newsletter.pdf",
                      "Community centre newsletter", HELD_SCAN_PAGES, "scanned-letters.pdf",
                      HELD_CARD, "bakery-sign.bmp", HELD_VIDEOS, HELD_AUDIO_ONLY_MP4,
                      seed=5678, work=work)

    total = 0
    for root in (SAMPLE, HELDOUT):
        for p in sorted(root.rglob("*")):
            if p.is_file():
                total += p.stat().st_size
                print(f"{p.stat().st_size:>9,d}  {p.relative_to(HERE)}")
    print(f"{total:>9,d}  total ({total / 2**20:.2f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
