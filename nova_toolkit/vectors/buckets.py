"""Vector buckets: create / get / list / delete, bucket policy, default index mode, and tags."""

from __future__ import annotations

import json
import shutil
from typing import Any

from . import modes
from . import validation as v
from .errors import ApiError, Invalid
from .resources import ClientBase, parse_time
from .storage import write_json


class BucketOps(ClientBase):
    """CreateVectorBucket … PutVectorBucketDefaultIndexMode, TagResource … (mixin)."""

    # ================================================================= buckets
    def create_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """CreateVectorBucket(vectorBucketName, encryptionConfiguration?, tags?) → vectorBucketArn.

        The new bucket's ``defaultIndexMode`` is ENHANCED (created after the CLASSIC cutoff)
        unless the client's clock says otherwise (see :mod:`.modes`).
        """
        return self._call("CreateVectorBucket", kwargs, self._create_vector_bucket)

    def _create_vector_bucket(self, p: dict[str, Any]) -> dict[str, Any]:
        name = v.check_bucket_name(p["vectorBucketName"])
        if (self._bucket_dir(name) / "bucket.json").exists():
            raise ApiError("ConflictException", f"Vector bucket {name!r} already exists")
        tags = self._check_tags(p.get("tags") or {})
        doc = {
            "vectorBucketName": name,
            "creationTime": self._now().isoformat(),
            "encryptionConfiguration": v.check_encryption(
                p.get("encryptionConfiguration"), "encryptionConfiguration"
            ) or {"sseType": "AES256"},
            "tags": tags,
        }
        doc["defaultIndexMode"] = modes.bucket_default_mode(doc)
        write_json(self._bucket_dir(name) / "bucket.json", doc)
        return {"vectorBucketArn": self._bucket_arn(name)}

    def get_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectorBucket(vectorBucketName | vectorBucketArn) → {"vectorBucket": {...}},
        with ``defaultIndexMode``."""
        return self._call("GetVectorBucket", kwargs, self._get_vector_bucket)

    def _get_vector_bucket(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        b = self._bucket(name)
        return {
            "vectorBucket": {
                "vectorBucketName": name,
                "vectorBucketArn": self._bucket_arn(name),
                "creationTime": parse_time(b["creationTime"]),
                "encryptionConfiguration": b["encryptionConfiguration"],
                "defaultIndexMode": modes.bucket_default_mode(b),
            }
        }

    def list_vector_buckets(self, **kwargs: Any) -> dict[str, Any]:
        """ListVectorBuckets(maxResults?, nextToken?, prefix?) → vectorBuckets, nextToken?."""
        return self._call("ListVectorBuckets", kwargs, self._list_vector_buckets)

    def _list_vector_buckets(self, p: dict[str, Any]) -> dict[str, Any]:
        base = self.root / "buckets"
        names = [d.name for d in base.iterdir() if (d / "bucket.json").exists()]
        page, token = self._page(names, p, v.MAX_LIST_NAMES, v.MAX_LIST_NAMES)
        out: dict[str, Any] = {
            "vectorBuckets": [
                {
                    "vectorBucketName": n,
                    "vectorBucketArn": self._bucket_arn(n),
                    "creationTime": parse_time(self._bucket(n)["creationTime"]),
                }
                for n in page
            ]
        }
        if token:
            out["nextToken"] = token
        return out

    def delete_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectorBucket(vectorBucketName | vectorBucketArn); ConflictException if not empty."""
        return self._call("DeleteVectorBucket", kwargs, self._delete_vector_bucket)

    def _delete_vector_bucket(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        self._bucket(name)
        if self._index_dirs(name):
            raise ApiError(
                "ConflictException",
                f"Vector bucket {name!r} is not empty: delete its indexes first",
            )
        shutil.rmtree(self._bucket_dir(name))
        return {}

    def put_vector_bucket_default_index_mode(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectorBucketDefaultIndexMode(bucket, defaultIndexMode): the mode of indexes
        created afterwards; existing indexes keep theirs. CLASSIC only for a bucket created
        before September 30, 2026 (as for UpdateIndexMode)."""
        return self._call(
            "PutVectorBucketDefaultIndexMode", kwargs, self._put_default_index_mode
        )

    def _put_default_index_mode(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        b = self._bucket(name)
        mode = modes.check_mode(p["defaultIndexMode"], "defaultIndexMode")
        if mode == modes.CLASSIC:
            modes.refuse_classic(b, name, "defaultIndexMode")
        b["defaultIndexMode"] = mode
        write_json(self._bucket_dir(name) / "bucket.json", b)
        return {}

    # ================================================================= bucket policy
    def put_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectorBucketPolicy(vectorBucketName | vectorBucketArn, policy) (stored, not enforced)."""
        return self._call("PutVectorBucketPolicy", kwargs, self._put_policy)

    def _put_policy(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        b = self._bucket(name)
        try:
            json.loads(p["policy"])
        except ValueError as exc:
            raise Invalid("policy", f"Policy is not valid JSON: {exc}") from None
        b["policy"] = p["policy"]
        write_json(self._bucket_dir(name) / "bucket.json", b)
        return {}

    def get_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectorBucketPolicy → {"policy": str}; NotFoundException when none is set."""
        return self._call("GetVectorBucketPolicy", kwargs, self._get_policy)

    def _get_policy(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        b = self._bucket(name)
        if "policy" not in b:
            raise ApiError("NotFoundException", f"Vector bucket {name!r} has no policy")
        return {"policy": b["policy"]}

    def delete_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectorBucketPolicy(vectorBucketName | vectorBucketArn)."""
        return self._call("DeleteVectorBucketPolicy", kwargs, self._delete_policy)

    def _delete_policy(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        b = self._bucket(name)
        if b.pop("policy", None) is not None:
            write_json(self._bucket_dir(name) / "bucket.json", b)
        return {}

    # ================================================================= tags
    def tag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """TagResource(resourceArn, tags) on a bucket or index ARN."""
        return self._call("TagResource", kwargs, self._tag_resource)

    def _tag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        path, doc = self._resource(p["resourceArn"])
        doc["tags"] = self._check_tags({**(doc.get("tags") or {}), **p["tags"]})
        write_json(path, doc)
        return {}

    def untag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """UntagResource(resourceArn, tagKeys)."""
        return self._call("UntagResource", kwargs, self._untag_resource)

    def _untag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        path, doc = self._resource(p["resourceArn"])
        tags = doc.get("tags") or {}
        doc["tags"] = {k: val for k, val in tags.items() if k not in set(p["tagKeys"])}
        write_json(path, doc)
        return {}

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        """ListTagsForResource(resourceArn) → {"tags": {...}}."""
        return self._call("ListTagsForResource", kwargs, self._list_tags)

    def _list_tags(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"tags": dict(self._resource(p["resourceArn"])[1].get("tags") or {})}
