"""nova_toolkit.analysis.keywords: snippets cleaned of our prefixes before c-TF-IDF scoring."""

from __future__ import annotations

import pytest

from nova_toolkit import analysis

pytestmark = pytest.mark.slow


def test_clean_snippet_strips_prefixes_and_probabilities():
    s = "speech: the rocket lifts off | labels: missile (0.42), space shuttle (0.03) | sound: wind"
    assert analysis.clean_snippet(s) == "the rocket lifts off missile , space shuttle wind"
    assert analysis.clean_snippet("[no speech: silence]") == ""
    assert analysis.clean_snippet("[page 2 without text] labels: tabby cat (0.5)") == "tabby cat"
