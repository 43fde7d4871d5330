"""Test documents made on the spot with fpdf2 and Pillow: text-layer PDFs and scans."""

from __future__ import annotations

from pathlib import Path

#: Page texts of the test library (each page about one thing, so a query has one answer).
TEXT_PAGES = [
    "Rocket launch checklist. Fuel the first stage, arm the engines and count down to liftoff.",
    "Vegetable garden notes. Plant tomatoes in spring, water the beans and pull the weeds.",
]
SCAN_PAGES = [
    ["Quarterly sales report", "Revenue grew by ten percent"],
    ["Coffee brewing guide", "Grind the beans finely"],
]


def text_page_image(lines: list[str], size: tuple[int, int] = (1240, 1754)):
    """A white A4-proportioned page (150 dpi) with ``lines`` in large black type."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=64)
    for i, line in enumerate(lines):
        draw.text((90, 140 + 120 * i), line, fill="black", font=font)
    return page


def scanned_pdf(path: Path, pages: list[list[str]] = SCAN_PAGES) -> Path:
    """An image-only PDF (no text layer): every page is a picture of its lines."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    for n, lines in enumerate(pages):
        img = path.parent / f".{path.stem}-page{n + 1}.png"
        text_page_image(lines).save(img)
        pdf.add_page()
        pdf.image(str(img), x=0, y=0, w=210, h=297)
        img.unlink()
    pdf.output(str(path))
    return path


def text_pdf(path: Path, pages: list[str] = TEXT_PAGES) -> Path:
    """A PDF with a text layer, one paragraph per page."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=16)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    pdf.output(str(path))
    return path
