"""A local, in-process mirror of the Amazon S3 Vectors API on FAISS, persisted on disk.

``local_client(root_dir)`` returns an object with the methods, keyword arguments,
response shapes and exceptions of ``boto3.client("s3vectors")``; code written against it
runs against AWS by swapping the client. Non-AWS extensions: ``import_vectors`` (bulk
load), ``flush()`` / ``close()`` (compaction).
"""

from botocore.exceptions import ClientError, ParamValidationError

from .client import LocalS3VectorsClient, local_client
from .errors import client_exceptions
from .filters import compile_filter

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
    "LocalS3VectorsClient",
    "NotFoundException",
    "ParamValidationError",
    "ServiceQuotaExceededException",
    "ValidationException",
    "compile_filter",
    "exceptions",
    "local_client",
]
