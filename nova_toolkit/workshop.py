"""Self-checks for the workshop notebook (notebooks/07_workshop.ipynb) that guide, not tell.

The notebook used to print the solution as its hint (``coll.search(text, modality='video',
top_k=1)[0]``) and to compute the expected answer in a visible cell. Here a check looks at
the value given, says what is wrong with it in words ("a hit of an image, not of a video"),
and a hint names the idea and where to read about it; neither shows the code. The expected
values are computed here, out of sight. ``Workshop.hint(n)`` gives the next, more precise
hint on each call (still no code).

    ws = Workshop(coll)
    ws.check(1, top_video)   # ✔ well done / ✘ not yet: <what is wrong>. Hint: ...
    ws.hint(1)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nova_toolkit._core.errors import InvalidArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from nova_toolkit._core.view import CollectionView


def _source(hit: Any) -> str:
    return str(hit.get("source", "")) if isinstance(hit, dict) else ""


def _unset(value: Any) -> bool:
    return value is ... or value is None


def _ex1(value: Any, ws: Workshop) -> str | None:
    if _unset(value):
        return "top_video is still `...`: give it one search hit"
    if not isinstance(value, dict):
        return (f"top_video is a {type(value).__name__}; a single hit (one item of the "
                f"results, a dict) is wanted")
    if value.get("modality") != "video":
        return f"that is a hit of a {value.get('modality') or 'row'} file, not of a video"
    if "coffee" not in _source(value):
        return f"a video, but {Path(_source(value)).name} shows no coffee cup: reword the query"
    return None


def _ex2(value: Any, ws: Workshop) -> str | None:
    if _unset(value):
        return "sound_hits is still `...`: give it the results of a search"
    if not isinstance(value, list) or not value:
        return "sound_hits should be the (non-empty) list of hits a search returns"
    if any(isinstance(h, dict) and h.get("modality") != "text" for h in value):
        return "some hits are not texts: only text rows should come back"
    if "coffee" not in _source(value[0]):
        return (f"the top hit is {Path(_source(value[0])).name}; query with the sound itself, "
                f"not with words about it")
    return None


def _ex3(value: Any, ws: Workshop) -> str | None:
    if _unset(value):
        return "n_found is still `...`: give it a number of clusters"
    if isinstance(value, bool) or not isinstance(value, int):
        return f"n_found is a {type(value).__name__}; the number of clusters (an int) is wanted"
    if value != ws.expected_clusters():
        return (f"{value} is not what HDBSCAN finds with min_cluster_size=3; count the clusters "
                f"of the clustering result rather than guessing")
    return None


def _ex4(value: Any, ws: Workshop) -> str | None:
    if _unset(value):
        return "dupes is still `...`: give it the table of near-duplicate pairs"
    if not hasattr(value, "source_a") or not hasattr(value, "source_b"):
        return "dupes should be the DataFrame of pairs (columns source_a, source_b, distance)"
    if len(value) == 0:
        return "no pairs: the distance threshold may be too strict"
    if any(a == b for a, b in zip(value["source_a"], value["source_b"], strict=True)):
        return "some pairs are two pieces of the same file; keep only pairs across files"
    return None


def _ex5(value: Any, ws: Workshop) -> str | None:
    if _unset(value):
        return "map_path is still `...`: give it the path of the HTML file you wrote"
    if not isinstance(value, Path):
        return f"map_path is a {type(value).__name__}; the pathlib.Path of the file is wanted"
    if not value.is_file():
        return f"{value} does not exist yet: the figure has to be written to a file"
    if value.suffix.lower() not in (".html", ".htm"):
        return f"{value.name} is not an HTML file"
    return None


@dataclass(frozen=True)
class Exercise:
    """One exercise: its check (None when right, else what is wrong) and graded hints."""

    title: str
    check: Callable[[Any, Workshop], str | None]
    hints: tuple[str, ...]


EXERCISES: dict[int, Exercise] = {
    1: Exercise("a video segment with a coffee cup", _ex1, (
        "One search over the collection, in words; a search can be restricted to one "
        "modality of rows (see the Collection.search docstring).",
        "Ask for just the best hit, then take the first item of the results.")),
    2: Exercise("the text that matches a sound", _ex2, (
        "A search can start from a file instead of words (query by example).",
        "Give the search the audio file's path, and keep only rows of the modality you want "
        "back.")),
    3: Exercise("how many clusters HDBSCAN finds", _ex3, (
        "nova_toolkit.analysis has a clustering function with several methods.",
        "Choose the HDBSCAN method, pass the minimum cluster size the exercise names, and "
        "read the count from the result's attributes.")),
    4: Exercise("a file with a near-duplicate in another file", _ex4, (
        "nova_toolkit.analysis finds pairs of rows whose vectors almost coincide.",
        "Its option for pairs across files drops the neighbouring windows of one video or "
        "text.")),
    5: Exercise("the map coloured by cluster, saved as HTML", _ex5, (
        "nova_toolkit.viz draws the semantic map; colour it by the cluster of each row.",
        "nova_toolkit.viz also writes a figure to one standalone HTML file and returns its "
        "path.")),
}


@dataclass
class Workshop:
    """The workshop's checks on one collection."""

    collection: CollectionView
    _given: dict[int, int] = field(default_factory=dict, repr=False)
    _clusters: int | None = field(default=None, repr=False)

    def expected_clusters(self) -> int:
        """What exercise 3 expects (computed once, not shown)."""
        if self._clusters is None:
            from nova_toolkit.analysis import cluster

            self._clusters = cluster(self.collection, method="hdbscan",
                                     min_cluster_size=3).n_clusters
        return self._clusters

    def _exercise(self, number: int) -> Exercise:
        if number not in EXERCISES:
            raise InvalidArgumentError("number", "no such exercise", value=number,
                                       allowed=sorted(EXERCISES))
        return EXERCISES[number]

    def problem(self, number: int, value: Any) -> str | None:
        """What is wrong with ``value`` as the answer to exercise ``number`` (None: right)."""
        return self._exercise(number).check(value, self)

    def hint(self, number: int) -> str:
        """The next hint for exercise ``number`` (a more precise one each call; never code)."""
        hints = self._exercise(number).hints
        i = self._given.get(number, 0)
        self._given[number] = i + 1
        return hints[min(i, len(hints) - 1)]

    def check(self, number: int, value: Any, *, strict: bool = False) -> None:
        """Print ``✔ well done`` or ``✘ not yet: <what is wrong>. Hint: ...``.

        ``strict`` raises :class:`AssertionError` instead of printing a miss (the solutions
        notebook, run by the tests, must pass every check).
        """
        problem = self.problem(number, value)
        if problem is not None and strict:
            raise AssertionError(f"exercise {number}: {problem}")
        print("✔ well done" if problem is None
              else f"✘ not yet: {problem}. Hint: {self.hint(number)}")
