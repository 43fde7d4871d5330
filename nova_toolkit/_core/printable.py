"""Names and texts made safe to print on one line (a file name may hold a newline).

A file called ``evil\\nembedded 999, failed 0.txt`` must not inject a fake line into a
report; a bidi override must not reorder what follows it. :func:`shown` is used wherever a
name reaches a terminal: the CLI's every line and :meth:`AddReport.summary`.
"""

from __future__ import annotations

import re

#: What :func:`shown` escapes: C0/C1 controls and DEL, line/paragraph separators, bidi
#: overrides and isolates (they reorder what follows), and lone surrogates (bytes of a
#: name that is not UTF-8).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escaped(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as os.fsdecode carried it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """``text`` (a file name, a source key, a snippet, a reason) safe to print on one line.

    Control characters are escaped as :func:`repr` spells them (``\\n``, ``\\t``,
    ``\\x1b``), an undecodable byte as ``\\xHH`` (as source keys spell it), line separators
    and bidi controls as ``\\uXXXX``; everything else, backslashes included, is printed as
    it is, so a key shown can be given back to ``--source``.
    """
    return _UNSAFE.sub(_escaped, str(text))
