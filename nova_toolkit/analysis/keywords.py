"""Words that name a cluster: snippets cleaned of our prefixes, scored by c-TF-IDF.

BERTopic's class-based TF-IDF over the members' snippets (transcripts, OCR text, image labels,
page text) gives each cluster its label in :func:`nova_toolkit.analysis.cluster`.
"""

from __future__ import annotations

import re

import numpy as np

_PREFIX = re.compile(r"\b(labels|text|speech|sound)\s*:", re.I)
_PROB = re.compile(r"\(\s*\d*\.?\d+\s*\)")
_BRACKETED = re.compile(r"\[(?:no speech|page \d+ without text)[^\]]*\]?", re.I)


def clean_snippet(snippet: str | None) -> str:
    """Snippet text with our prefixes (``labels:``, ``speech:``...) and probabilities removed."""
    if not snippet:
        return ""
    text = _BRACKETED.sub(" ", snippet)
    text = _PREFIX.sub(" ", text)
    text = _PROB.sub(" ", text)
    text = text.replace("|", " ")
    return re.sub(r"\s+", " ", text).strip()


def cluster_keywords(texts: list[str], labels: np.ndarray, *, top: int = 10
                     ) -> dict[int, list[str]]:
    """Top words per cluster by class-based TF-IDF (BERTopic's c-TF-IDF).

    Members' cleaned snippets are joined into one document per cluster; a word
    scores its in-cluster frequency times ``log(1 + A / f)`` with ``A`` the mean
    words per cluster and ``f`` the word's count over all clusters.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    clusters = sorted(set(labels.tolist()))
    docs = [" ".join(clean_snippet(texts[i]) for i in np.flatnonzero(labels == c))
            for c in clusters]
    if not any(d.strip() for d in docs):
        return {c: [] for c in clusters}
    vec = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
                          lowercase=True)
    try:
        counts = vec.fit_transform(docs).toarray().astype(np.float64)
    except ValueError:  # only stop words
        return {c: [] for c in clusters}
    vocab = np.asarray(vec.get_feature_names_out())
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    avg = counts.sum() / len(clusters)
    idf = np.log(1 + avg / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf
    out = {}
    for row, c in enumerate(clusters):
        order = np.argsort(-scores[row], kind="stable")
        out[c] = [str(vocab[j]) for j in order[:top] if scores[row, j] > 0]
    return out
