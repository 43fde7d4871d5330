"""Text analyzers of the mirror's full-text search: text → BM25 terms, per language.

All tokenization, stop-word removal and stemming is done by ``bm25s.tokenize`` (its regex
tokenizer and lower-casing, its NLTK / stopwords-iso stop-word lists) with the Snowball
stemmers of PyStemmer. Per ``TextSearchConfiguration.language``:

==========  ============================================================================
(none)      "the default standard analyzer": lower-cased words of 2+ word characters,
            no stop words, no stemming
en fr es    that language's stop words and Snowball stemmer
pt it de nl
zh ja ko    each CJK character (Han, kana, Hangul syllable) is one term, other words as
            above; stop words: bm25s's Chinese list for zh, Korean list for ko, none for ja.
            This unigram split is the mirror's own small choice (bm25s and PyStemmer have
            no CJK segmenter); AWS does not document its CJK analyzers.
==========  ============================================================================

Documents and queries go through the same analyzer, so a query term matches the indexed
form of the same word (``running`` and ``runs`` both become ``run`` in English).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import Stemmer

#: TextSearchConfiguration languages of botocore's model (``LanguageCode``).
LANGUAGES = ("en", "fr", "es", "pt", "it", "de", "nl", "zh", "ja", "ko")

#: bm25s's default token pattern: words of two or more word characters.
WORD_PATTERN = r"(?u)\b\w\w+\b"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
#: zh / ja / ko: one CJK character per term, other words as :data:`WORD_PATTERN`.
CJK_PATTERN = f"(?u)[{_CJK}]|[^\\W{_CJK}]{{2,}}"

_SNOWBALL = {"en": "english", "fr": "french", "es": "spanish", "pt": "portuguese",
             "it": "italian", "de": "german", "nl": "dutch"}  # fmt: skip
_CJK_STOPWORDS = {"zh": "zh", "ko": "ko", "ja": None}


def analyzer_options(language: str | None) -> dict[str, object]:
    """The ``bm25s.tokenize`` keyword arguments of ``language`` (None: standard analyzer)."""
    if language is None:
        return {"lower": True, "token_pattern": WORD_PATTERN, "stopwords": None,
                "stemmer": None}  # fmt: skip
    if language in _SNOWBALL:
        return {"lower": True, "token_pattern": WORD_PATTERN, "stopwords": language,
                "stemmer": _stemmer(_SNOWBALL[language])}  # fmt: skip
    if language in _CJK_STOPWORDS:
        return {"lower": True, "token_pattern": CJK_PATTERN,
                "stopwords": _CJK_STOPWORDS[language], "stemmer": None}  # fmt: skip
    raise ValueError(f"unknown analyzer language {language!r}")


@functools.cache
def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    import Stemmer

    return Stemmer.Stemmer(algorithm)


def analyze(texts: Sequence[str], language: str | None) -> list[list[str]]:
    """The terms of each text, as ``language``'s analyzer produces them."""
    if not texts:
        return []
    import bm25s  # lazily (numba + scipy): only full-text search and its upkeep analyse text

    out = bm25s.tokenize(list(texts), return_ids=False, show_progress=False,
                         **analyzer_options(language))  # type: ignore[arg-type]  # fmt: skip
    return [list(t) for t in out]
