"""CLI misuse on the search side: one line on stderr naming what is wrong and what is allowed,
exit status 2, no traceback, nothing stored touched (the real ``nova-toolkit`` in subprocesses).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from search_helpers import build_small_collection, run_cli

from nova_toolkit.media import MODALITIES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def coll_dir(tmp_path_factory, local_embedder):
    return build_small_collection(tmp_path_factory.mktemp("cli-errors"), local_embedder)


def digest(root: Path) -> str:
    """One hash over every file of a collection (names and bytes)."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def one_line_error(r, *words: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("nova-toolkit")
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


CASES = [
    (["--top-k", "0"], ["--top-k: must be a whole number of at least 1 (got 0)"]),
    (["--top-k", "-2", "--mode", "text"], ["--top-k", "(got -2)"]),
    (["--top-k", "many"], ["argument --top-k: invalid int value: 'many'", "--help"]),
    (["--filter", "{bad"], ["--filter is not valid JSON", '{"modality": "image"}']),
    (["--filter", "[1, 2]"], ["--filter must be a JSON object"]),
    (["--filter", '{"modality": {"$like": "im"}}'],
     ["--filter: unknown operator '$like'", "allowed: $eq, $ne"]),
    (["--filter", '{"modality": "picture"}'],
     ["--filter: unknown modality 'picture'", "allowed: " + ", ".join(MODALITIES)]),
    (["--filter", '{"modality": {"$in": []}}'], ["--filter", "$in takes a non-empty array"]),
    (["--filter", '{"modalty": "image"}'],
     ["--filter: no row has the metadata key 'modalty'; did you mean 'modality'?"]),
    (["--mode", "semantic"], ["--mode: unknown search mode", "allowed: vector, text, hybrid"]),
]


@pytest.mark.parametrize("extra, words", CASES)
def test_search_misuse_is_one_line_exit_2(coll_dir, extra, words):
    before = digest(coll_dir)
    r = run_cli("search", "--collection", str(coll_dir), "--text", "a cat", *extra)
    one_line_error(r, *words)
    assert digest(coll_dir) == before


def test_a_missing_collection_says_how_to_make_one(tmp_path):
    r = run_cli("search", "--collection", str(tmp_path / "none"), "--text", "a cat")
    one_line_error(r, "not a collection", "nova-toolkit embed")
    assert not (tmp_path / "none").exists()


def test_a_missing_option_is_one_line(coll_dir):
    r = run_cli("search", "--text", "a cat")
    one_line_error(r, "required: --collection", "nova-toolkit search --help")


def test_an_unsupported_dimension_names_the_allowed_ones(tmp_path, coll_dir):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "note.txt").write_text("a short note about sailing")
    r = run_cli("embed", str(lib), "--collection", str(tmp_path / "new"), "--dimension", "1000",
                "--no-progress")
    one_line_error(r, "--dimension: the local backend serves no such dimension (got 1000)",
                   "allowed: 256, 384")
    assert not (tmp_path / "new").exists()
    before = digest(coll_dir)
    r = run_cli("embed", str(lib), "--collection", str(coll_dir), "--dimension", "3072",
                "--no-progress")
    one_line_error(r, "--dimension", "allowed: 256, 384")
    assert digest(coll_dir) == before


def test_a_query_file_that_is_a_folder_or_missing(coll_dir, tmp_path):
    r = run_cli("search", "--collection", str(coll_dir), "--file", str(tmp_path))
    one_line_error(r, "--file: is a folder; a query by example is one file", str(tmp_path))
    r = run_cli("search", "--collection", str(coll_dir), "--file", str(tmp_path / "gone.png"))
    one_line_error(r, "gone.png: no such file")


def test_error_line_names_options_and_keeps_bugs_loud():
    from botocore.exceptions import ClientError, NoRegionError

    from nova_toolkit import InvalidArgumentError
    from nova_toolkit.cli import error_line

    exc = InvalidArgumentError("top_k", "must be a whole number of at least 1", value=0)
    assert error_line(exc, {"--top-k"}) == (
        "--top-k: must be a whole number of at least 1 (got 0)", 2)
    assert error_line(exc, set())[0].startswith("top_k: ")  # no such option: the API name
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"},
                          "ResponseMetadata": {"HTTPStatusCode": 403}}, "QueryVectors")
    assert error_line(denied) == ("AccessDeniedException: no", 2)
    down = ClientError({"Error": {"Code": "ServiceUnavailableException", "Message": "later"},
                        "ResponseMetadata": {"HTTPStatusCode": 503}}, "QueryVectors")
    assert error_line(down) == ("ServiceUnavailableException: later", 1)
    assert error_line(NoRegionError())[1] == 2
    assert error_line(KeyError("a bug")) is None  # re-raised by main: a bug keeps its traceback
