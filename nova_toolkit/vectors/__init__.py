"""A local, in-process mirror of the Amazon S3 Vectors API on FAISS, persisted on disk.

``local_client(root_dir)`` returns an object with the methods, keyword arguments,
response shapes and exceptions of ``boto3.client("s3vectors")``; code written against it
runs against AWS by swapping the client. It covers every operation and member of the
installed botocore ``s3vectors`` model (API 2025-07-15): index modes CLASSIC / ENHANCED
(:mod:`.modes`; the mirror is exact in both), full-text BM25 and hybrid RRF search over
``textSearchConfigurations`` keys (:mod:`.fulltext`, :mod:`.hybrid`), QueryVectors pages
and paginator (:mod:`.paging`), ``$startsWith``. Non-AWS extensions: ``import_vectors``
(bulk load), ``flush()`` / ``close()`` (compaction, persisting derived indexes).

Also here: ``knn_graph`` / ``near_duplicate_pairs`` (kNN graphs on FAISS, :mod:`.knn`),
``choose_index`` / ``IndexChoice`` (index choice under a memory budget, :mod:`.ann`) and
``push`` / ``pull`` (sync with an S3 Vectors endpoint through boto3, :mod:`.sync`).
"""

from botocore.exceptions import ClientError, ParamValidationError

from .ann import IndexChoice, choose_index
from .client import LocalS3VectorsClient, local_client
from .errors import client_exceptions
from .filters import compile_filter
from .index import CorruptIndexWarning
from .knn import knn_graph, near_duplicate_pairs
from .sync import pull, push

exceptions = client_exceptions()
ValidationException = exceptions.ValidationException
NotFoundException = exceptions.NotFoundException
ConflictException = exceptions.ConflictException
ServiceQuotaExceededException = exceptions.ServiceQuotaExceededException
AccessDeniedException = exceptions.AccessDeniedException

__all__ = [
    "AccessDeniedException",
    "ClientError",
    "ConflictException",
    "CorruptIndexWarning",
    "IndexChoice",
    "LocalS3VectorsClient",
    "NotFoundException",
    "ParamValidationError",
    "ServiceQuotaExceededException",
    "ValidationException",
    "choose_index",
    "compile_filter",
    "exceptions",
    "knn_graph",
    "local_client",
    "near_duplicate_pairs",
    "pull",
    "push",
]
