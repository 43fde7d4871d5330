"""What of botocore's ``s3vectors`` model the mirror refuses, and the walk over the model.

``tests/vectors/test_vectors_model_coverage.py`` reads the installed model at test time,
runs every operation with every input member through the local client and through the
twin (boto3 over HTTP), and fails when a model member is neither exercised nor listed in
:data:`REFUSED` — so a future botocore that adds an operation or a member fails the suite
until the mirror handles it (or refuses it here, deliberately, with the AWS error).

Member paths are ``Operation:member.sub[].leaf`` (``[]`` for list items; document and map
values are leaves).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

#: Input members the mirror refuses on purpose: path -> (AWS error code, HTTP status, why).
#: Empty today: every member of botocore 1.44.8's model (API 2025-07-15) is handled.
#: Notes on members handled in a limited way (not refusals):
#:  - ``CreateVectorBucket/CreateIndex:encryptionConfiguration`` is stored and reported;
#:    the mirror does not encrypt (its files are local) and calls no KMS.
#:  - ``PutVectorBucketPolicy:policy`` is stored and returned, not enforced.
#:  - ``CreateIndex:metadataConfiguration.textSearchConfigurations[].status`` is output-only
#:    and ignored on input.
REFUSED: dict[str, tuple[str, int, str]] = {}


def member_paths(shape: Any, prefix: str) -> Iterator[str]:
    """Every member path under a botocore ``shape`` (structures and lists walked)."""
    if shape.type_name == "structure" and not getattr(shape, "is_document_type", False):
        for name, member in shape.members.items():
            path = f"{prefix}.{name}" if not prefix.endswith(":") else f"{prefix}{name}"
            yield path
            yield from member_paths(member, path)
    elif shape.type_name == "list":
        yield from member_paths(shape.member, f"{prefix}[]")


def value_paths(shape: Any, value: Any, prefix: str) -> Iterator[str]:
    """The member paths a request or response ``value`` actually uses, per ``shape``."""
    if shape.type_name == "structure" and not getattr(shape, "is_document_type", False):
        if not isinstance(value, dict):
            return
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                path = f"{prefix}.{name}" if not prefix.endswith(":") else f"{prefix}{name}"
                yield path
                yield from value_paths(member, value[name], path)
    elif shape.type_name == "list" and isinstance(value, list):
        for item in value:
            yield from value_paths(shape.member, item, f"{prefix}[]")
