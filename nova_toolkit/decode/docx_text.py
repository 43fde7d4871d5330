"""DOCX → text: a Word body's paragraphs, split into pages at the breaks Word wrote.

Read straight from ``word/document.xml`` in the archive (no third-party parser).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem

_DOCX_PARA = re.compile(r"<w:p[ >].*?</w:p>|<w:p/>", re.S)
_DOCX_TOKEN = re.compile(
    r'<w:t(?: [^>]*)?>([^<]*)</w:t>|<w:tab/>|<w:br w:type="page"/>|<w:br ?/>'
    r"|<w:lastRenderedPageBreak/>|<w:pageBreakBefore(?: w:val=\"(?:1|true|on)\")?/>"
)


def docx_pages(item: MediaItem) -> list[str]:
    """Text of a DOCX body split into pages at explicit and last-rendered page breaks.

    Word stores no fixed pagination; the breaks Word wrote when it last laid the file out
    (``w:lastRenderedPageBreak``) and explicit page breaks are the best page numbers there are.
    A file never laid out by Word is one page.

    Raises
    ------
    MediaError
        A damaged archive or one without ``word/document.xml``.
    """
    import html
    import io
    import zipfile


    try:
        with zipfile.ZipFile(io.BytesIO(item.data)) as zf:
            xml = zf.read("word/document.xml").decode("utf-8", "replace")
    except KeyError:
        raise MediaError(item.source, "DOCX has no word/document.xml") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise MediaError(item.source, f"cannot open DOCX: {exc}") from None
    pages: list[list[str]] = [[]]
    for para in _DOCX_PARA.findall(xml):
        line: list[str] = []
        for m in _DOCX_TOKEN.finditer(para):
            tok = m.group(0)
            if m.group(1) is not None:
                line.append(html.unescape(m.group(1)))
            elif tok == "<w:tab/>":
                line.append("\t")
            elif tok.startswith("<w:br") and "page" not in tok:
                line.append("\n")
            else:  # a page break: what came before stays on the previous page
                pages[-1].append("".join(line))
                line = []
                if any(p.strip() for p in pages[-1]):
                    pages.append([])
        pages[-1].append("".join(line))
    texts = ["\n".join(p).strip() for p in pages]
    while len(texts) > 1 and not texts[-1]:
        texts.pop()
    return texts
