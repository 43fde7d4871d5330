"""The add pipeline as stages with plain data between them.

:mod:`.reader` (sources → items or failures) → :mod:`.planner` (cache hits, same-content
dedupe, unchanged and missing files → one step per item) → the
:class:`~nova_toolkit.embedders.Embedder` → :mod:`.rows` (embeddings → rows, keys, index
metadata) → :mod:`.writer` (buffered ``Store.commit``), driven by :mod:`.runner` (the
loop and :class:`~.runner.AddReport`), which takes each stage as a builder so one can be
swapped or faked. :mod:`.dry_run` runs the reader and planner alone and counts Nova's
cost. The in-process runner is the only engine today; another (e.g. Ray Data) would
reuse the same stages.

Nothing is imported here, so taking one stage (``pipeline.reader``) loads only its own
dependencies.
"""
