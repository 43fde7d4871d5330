"""Bad search arguments raise the package's own exception types, before any model loads.

Each error is an :class:`nova_toolkit.InvalidArgumentError` (a ``ValueError``, so older
``except ValueError`` code still works) naming the argument and, where there is a list, the
values allowed; a missing collection is a :class:`nova_toolkit.CollectionNotFoundError` (a
``StoreError``). The allowed lists are checked against the package's own sources of truth
(the media modalities, Nova's embedding types, the mirror's filter grammar), and every
refused filter is one the real mirror refuses too or one that could only match nothing.
"""

from __future__ import annotations

import pickle

import pytest
from search_helpers import build_small_collection

import nova_toolkit
from nova_toolkit import (
    CollectionNotFoundError,
    InvalidArgumentError,
    NovaToolkitError,
    StoreError,
)
from nova_toolkit.collection import Collection
from nova_toolkit.embedders import EMBEDDING_TYPES, get_embedder
from nova_toolkit.media import MODALITIES
from nova_toolkit.vectors.filters import LOGICAL_OPERATORS, OPERATORS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def coll_dir(tmp_path_factory, local_embedder):
    return build_small_collection(tmp_path_factory.mktemp("errors"), local_embedder)


@pytest.fixture
def coll(coll_dir):
    """The collection opened without an embedder: one is built only if a query needs it."""
    return Collection.open(coll_dir, create=False)


def refused(coll, **kwargs) -> InvalidArgumentError:
    with pytest.raises(InvalidArgumentError) as info:
        coll.search(**{"text": "a cat", **kwargs})
    assert coll._embedder is None, "the model loaded before the arguments were checked"
    return info.value


@pytest.mark.parametrize("top_k", [0, -3, 2.5, True, "5", None])
def test_top_k_must_be_a_whole_number_of_at_least_1(coll, top_k):
    exc = refused(coll, top_k=top_k)
    assert exc.argument == "top_k" and isinstance(exc, ValueError)
    assert str(exc) == f"top_k: must be a whole number of at least 1 (got {top_k!r})"


def test_text_mode_checks_top_k_too(coll):
    assert refused(coll, top_k=0, mode="text").argument == "top_k"


@pytest.mark.parametrize("flt", [
    {"modality": "picture"},
    {"modality": {"$in": ["image", "pictures"]}},
    {"$or": [{"source": "x"}, {"modality": {"$ne": "Image"}}]},
])
def test_an_unknown_modality_in_a_filter_names_the_modalities(coll, flt):
    exc = refused(coll, filter=flt)
    assert exc.argument == "filter" and "unknown modality" in str(exc)
    assert exc.allowed == MODALITIES
    assert str(exc).endswith("allowed: " + ", ".join(MODALITIES))


def test_an_unknown_embedding_type_names_the_types(coll):
    exc = refused(coll, filter={"embedding_type": "PICTURE"})
    assert exc.allowed == EMBEDDING_TYPES


def test_an_unknown_operator_names_the_operators(coll):
    exc = refused(coll, filter={"modality": {"$like": "im%"}})
    assert "unknown operator '$like' at filter.modality" in str(exc)
    assert exc.allowed == OPERATORS
    exc = refused(coll, filter={"$not": {"modality": "image"}})
    assert exc.allowed == LOGICAL_OPERATORS


@pytest.mark.parametrize("flt, words", [
    ({"modality": {"$in": []}}, "$in takes a non-empty array"),
    ({"page": {"$gt": "two"}}, "$gt takes a number"),
    ({}, "must not be empty"),
    (["modality"], "must be a JSON object"),
    ({"snippet": "cat"}, "non-filterable"),
])
def test_a_malformed_filter_is_refused_with_the_mirrors_reason(coll, flt, words):
    exc = refused(coll, filter=flt)
    assert exc.argument == "filter" and words in str(exc)


def test_valid_filters_still_search(coll):
    hits = coll.search("a cat", filter={"modality": {"$in": ["image", "audio"]}}, top_k=5)
    assert hits and {h["modality"] for h in hits} <= {"image", "audio"}


def test_an_unknown_search_modality_and_mode(coll):
    exc = refused(coll, modality="pictures")
    assert exc.argument == "modality" and exc.allowed == MODALITIES
    exc = refused(coll, mode="semantic")
    assert exc.argument == "mode" and exc.allowed == ("vector", "text", "hybrid")
    assert refused(coll, text="   ").argument == "text"


def test_a_missing_collection(tmp_path):
    with pytest.raises(CollectionNotFoundError, match="not a collection") as info:
        Collection.open(tmp_path / "nothing-here", create=False)
    assert isinstance(info.value, StoreError) and isinstance(info.value, NovaToolkitError)
    assert not (tmp_path / "nothing-here").exists()


@pytest.mark.parametrize("backend, allowed", [("local", (256, 384)),
                                              ("nova", (256, 384, 1024, 3072))])
def test_an_unsupported_dimension_names_the_dimensions(backend, allowed):
    with pytest.raises(InvalidArgumentError) as info:
        get_embedder(backend, dimension=1000)
    assert info.value.argument == "dimension" and info.value.allowed == allowed
    assert "(got 1000)" in str(info.value)


def test_the_errors_are_exported_and_pickle():
    for name in ("NovaToolkitError", "InvalidArgumentError", "CollectionNotFoundError",
                 "StoreError", "MediaError", "SettingsMismatchError", "CollectionLockedError"):
        assert issubclass(getattr(nova_toolkit, name), NovaToolkitError), name
        assert name in nova_toolkit.__all__
    exc = InvalidArgumentError("top_k", "must be a whole number of at least 1", value=0)
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is InvalidArgumentError and str(back) == str(exc)
    assert (back.argument, back.value, back.allowed) == ("top_k", 0, None)
    plain = pickle.loads(pickle.dumps(InvalidArgumentError("x", "is wrong")))
    assert str(plain) == "x: is wrong" and not plain.has_value


def test_a_misspelt_metadata_key_is_refused_with_the_closest_key(coll):
    exc = refused(coll, filter={"modalty": "image"})
    assert exc.argument == "filter" and "no row has the metadata key 'modalty'" in str(exc)
    assert "did you mean 'modality'?" in str(exc) and "source" in exc.allowed
    exc = refused(coll, filter={"$or": [{"modality": "image"}, {"pagee": {"$gte": 1}}]})
    assert "'pagee'" in str(exc) and "'page'" in str(exc)


def test_keys_that_may_be_absent_and_user_keys_still_filter(tmp_path, coll_dir):
    import shutil

    copy = Collection.open(shutil.copytree(coll_dir, tmp_path / "coll"), create=False)
    # $exists on a key no row has is meaningful: not refused
    assert copy.search(mode="text", text="cat", filter={"album": {"$exists": False}})
    with pytest.raises(InvalidArgumentError, match="'album'"):  # $ne needs the key on the row
        copy.search(mode="text", text="cat", filter={"album": {"$ne": "x"}})
    images = copy.to_pandas().query("modality == 'image'")["source"].tolist()
    copy.update_metadata(images, set={"album": "pets"})
    hits = copy.search(mode="text", text="cat", filter={"album": "pets"}, top_k=20)
    assert hits and {h["source"] for h in hits} <= set(images)
    with pytest.raises(InvalidArgumentError, match="did you mean 'album'"):
        copy.search(mode="text", text="cat", filter={"albun": "pets"})
    with pytest.raises(InvalidArgumentError, match="'albun'"):  # selecting files, too
        copy.remove(filter={"albun": "pets"})
    assert len(copy.remove(filter={"album": "pets"}, dry_run=True).sources) == len(images)
