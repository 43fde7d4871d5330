"""Vector indexes: create / get / list / delete, index mode, and metadata configuration.

``metadataConfiguration`` holds ``nonFilterableMetadataKeys`` (0–10 keys, fixed at
creation) and ``textSearchConfigurations`` (0–10 full-text-searchable keys, each with an
optional analyzer ``language``; changed later with UpdateMetadataConfiguration). A key may
be both: "You can still make a non-filterable key full-text searchable by configuring it
separately in textSearchConfigurations." Full-text search needs an ENHANCED index.

``status`` of a text search configuration: the mirror backfills a newly added key before
UpdateMetadataConfiguration returns, so GetIndex reports ``ACTIVE`` from then on; the
configuration is written as ``BUILDING`` first and made ``ACTIVE`` after the backfill, so a
crash in between leaves ``BUILDING`` on disk and the next open finishes the backfill.
A ``status`` sent in a request is output-only and ignored (GetIndex output can be passed
back to CreateIndex unchanged).
"""

from __future__ import annotations

import shutil
from typing import Any

from . import modes
from . import validation as v
from .analyzers import LANGUAGES
from .errors import ApiError, Invalid
from .resources import MAX_INDEXES_PER_BUCKET, ClientBase, IndexHandle, parse_time
from .storage import read_json, write_json

#: "Full-text search configurations for searchable metadata keys" (model: max 10).
MAX_TEXT_SEARCH_KEYS = 10
MAX_METADATA_KEY_CHARS = 63


def _check_key(key: Any, path: str) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_METADATA_KEY_CHARS:
        raise Invalid(path, f"Key {key!r} must be 1-{MAX_METADATA_KEY_CHARS} characters")
    return key


def check_text_configs(items: list[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    """Validate a list of TextSearchConfiguration; return them normalised (no status)."""
    if len(items) > MAX_TEXT_SEARCH_KEYS:
        raise Invalid(path, f"Must list at most {MAX_TEXT_SEARCH_KEYS} configurations, "
                            f"got {len(items)}")  # fmt: skip
    out, seen = [], set()
    for i, item in enumerate(items):
        key = _check_key(item["metadataKey"], f"{path}[{i}].metadataKey")
        if key in seen:
            raise Invalid(f"{path}[{i}].metadataKey",
                          f"Specify no more than one configuration for each metadata key "
                          f"({key!r} is listed twice)")  # fmt: skip
        seen.add(key)
        lang = item.get("language")
        if lang is not None and lang not in LANGUAGES:
            raise Invalid(f"{path}[{i}].language",
                          f"Value {lang!r} must be one of {', '.join(LANGUAGES)}")
        out.append({"metadataKey": key, **({"language": lang} if lang is not None else {})})
    return out


def _text_configs(idx: IndexHandle) -> list[dict[str, Any]]:
    return list((idx.config.get("metadataConfiguration") or {}).get("textSearchConfigurations")
                or [])  # fmt: skip


class IndexOps(ClientBase):
    """CreateIndex, GetIndex, ListIndexes, DeleteIndex, UpdateIndexMode,
    UpdateMetadataConfiguration (mixin)."""

    def create_index(self, **kwargs: Any) -> dict[str, Any]:
        """CreateIndex(bucket, indexName, dataType, dimension, distanceMetric,
        metadataConfiguration?, encryptionConfiguration?, tags?) → {"indexArn"}.

        The index gets its bucket's ``defaultIndexMode``; searchable keys need ENHANCED.
        """
        return self._call("CreateIndex", kwargs, self._create_index)

    def _create_index(self, p: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket_name(p)
        name = v.check_index_name(p["indexName"])
        if p["dataType"] != "float32":
            raise Invalid("dataType", f"Unsupported dataType {p['dataType']!r}; use 'float32'")
        v.check_range(p["dimension"], 1, v.MAX_DIMENSION, "dimension")
        if p["distanceMetric"] not in ("cosine", "euclidean"):
            raise Invalid(
                "distanceMetric",
                f"Unsupported distanceMetric {p['distanceMetric']!r}; use cosine or euclidean",
            )
        meta_in = dict(p.get("metadataConfiguration") or {})
        meta: dict[str, Any] = {}
        keys = meta_in.get("nonFilterableMetadataKeys")
        if keys is not None:
            if len(keys) > v.MAX_NON_FILTERABLE_KEYS:
                raise Invalid(
                    "metadataConfiguration.nonFilterableMetadataKeys",
                    f"Must list 0-{v.MAX_NON_FILTERABLE_KEYS} keys, got {len(keys)}",
                )
            for i, k in enumerate(keys):
                _check_key(k, f"metadataConfiguration.nonFilterableMetadataKeys[{i}]")
            meta["nonFilterableMetadataKeys"] = list(keys)
        texts = meta_in.get("textSearchConfigurations")
        path = "metadataConfiguration.textSearchConfigurations"
        if texts is not None:
            meta["textSearchConfigurations"] = [
                {**c, "status": "ACTIVE"} for c in check_text_configs(texts, path)
            ]
        bucket_doc = self._bucket(bucket)
        mode = modes.bucket_default_mode(bucket_doc)
        if meta.get("textSearchConfigurations") and mode != modes.ENHANCED:
            raise Invalid(path, f"Full-text search needs an ENHANCED index; bucket {bucket!r} "
                                f"creates {mode} indexes (PutVectorBucketDefaultIndexMode)")
        index_dir = self._bucket_dir(bucket) / "indexes" / name
        existing = self._index_dirs(bucket)
        if name in existing:
            raise ApiError("ConflictException", f"Index {name!r} already exists in {bucket!r}")
        if len(existing) >= MAX_INDEXES_PER_BUCKET:
            raise ApiError(
                "ServiceQuotaExceededException",
                f"Bucket {bucket!r} already has {MAX_INDEXES_PER_BUCKET} indexes",
            )
        config = {
            "indexName": name,
            "creationTime": self._now().isoformat(),
            "dataType": "float32",
            "dimension": p["dimension"],
            "distanceMetric": p["distanceMetric"],
            "indexMode": mode,
            "metadataConfiguration": meta,
            "encryptionConfiguration": v.check_encryption(
                p.get("encryptionConfiguration"), "encryptionConfiguration"
            ),
            "tags": self._check_tags(p.get("tags") or {}),
        }
        if index_dir.exists():  # leftovers of a half-deleted index
            shutil.rmtree(index_dir)
        write_json(index_dir / "index.json", config)
        self._indexes.pop((bucket, name), None)
        return {"indexArn": self._index_arn(bucket, name)}

    def get_index(self, **kwargs: Any) -> dict[str, Any]:
        """GetIndex(bucket + indexName | indexArn) → {"index": {...}} with ``indexMode`` and
        ``metadataConfiguration`` (text search configurations with their ``status``)."""
        return self._call("GetIndex", kwargs, self._get_index)

    def _get_index(self, p: dict[str, Any]) -> dict[str, Any]:
        idx = self._index(p)
        c = idx.config
        out = {
            "vectorBucketName": idx.bucket,
            "indexName": c["indexName"],
            "indexArn": self._index_arn(idx.bucket, c["indexName"]),
            "creationTime": parse_time(c["creationTime"]),
            "dataType": c["dataType"],
            "dimension": c["dimension"],
            "distanceMetric": c["distanceMetric"],
            "indexMode": idx.mode,
        }
        if c.get("metadataConfiguration"):
            out["metadataConfiguration"] = {
                k: [dict(x) for x in val] if k == "textSearchConfigurations" else list(val)
                for k, val in c["metadataConfiguration"].items()
            }
        if c.get("encryptionConfiguration"):
            out["encryptionConfiguration"] = c["encryptionConfiguration"]
        return {"index": out}

    def list_indexes(self, **kwargs: Any) -> dict[str, Any]:
        """ListIndexes(bucket, maxResults?, nextToken?, prefix?) → indexes, nextToken?."""
        return self._call("ListIndexes", kwargs, self._list_indexes)

    def _list_indexes(self, p: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket_name(p)
        self._bucket(bucket)
        page, token = self._page(self._index_dirs(bucket), p, v.MAX_LIST_NAMES, v.MAX_LIST_NAMES)
        items = []
        for n in page:
            cfg = read_json(self._bucket_dir(bucket) / "indexes" / n / "index.json")
            items.append(
                {
                    "vectorBucketName": bucket,
                    "indexName": n,
                    "indexArn": self._index_arn(bucket, n),
                    "creationTime": parse_time(cfg["creationTime"]),
                }
            )
        out: dict[str, Any] = {"indexes": items}
        if token:
            out["nextToken"] = token
        return out

    def delete_index(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteIndex(bucket + indexName | indexArn): removes the index and its vectors."""
        return self._call("DeleteIndex", kwargs, self._delete_index)

    def _delete_index(self, p: dict[str, Any]) -> dict[str, Any]:
        idx = self._index(p)
        self._indexes.pop((idx.bucket, idx.name), None)
        (idx.path / "index.json").unlink()
        shutil.rmtree(idx.path, ignore_errors=True)
        return {}

    # ================================================================= mode
    def update_index_mode(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateIndexMode(index, indexMode): ENHANCED for any index; CLASSIC only in a
        bucket created before September 30, 2026, and not while keys are searchable."""
        return self._call("UpdateIndexMode", kwargs, self._update_index_mode)

    def _update_index_mode(self, p: dict[str, Any]) -> dict[str, Any]:
        idx = self._index(p)
        mode = modes.check_mode(p["indexMode"], "indexMode")
        if mode == modes.CLASSIC and idx.mode != modes.CLASSIC:
            modes.refuse_classic(self._bucket(idx.bucket), idx.bucket, "indexMode")
            if _text_configs(idx):
                raise Invalid("indexMode", "Full-text search needs ENHANCED: delete the index's "
                                           "textSearchConfigurations before setting CLASSIC")
        idx.config["indexMode"] = mode
        write_json(idx.path / "index.json", idx.config)
        idx.mode = mode
        return {}

    # ================================================================= metadata configuration
    def update_metadata_configuration(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateMetadataConfiguration(index, add={textSearchConfigurations} |
        delete={textSearchConfigurations: [{metadataKey}]}) → {"indexArn"}.

        Either ``add`` or ``delete``, not both; the index must be ENHANCED. Adding a key
        that is already searchable is a ConflictException; deleting one that is not, a
        ValidationException. Added keys are backfilled from the stored vectors.
        """
        return self._call("UpdateMetadataConfiguration", kwargs, self._update_metadata)

    def _update_metadata(self, p: dict[str, Any]) -> dict[str, Any]:
        add, delete = p.get("add"), p.get("delete")
        if (add is None) == (delete is None):
            raise Invalid("add", "Specify either add or delete, but not both")
        idx = self._index(p)
        if idx.mode != modes.ENHANCED:
            raise Invalid("", f"Index {idx.name!r} is {idx.mode}: UpdateMetadataConfiguration "
                              "needs an index in ENHANCED mode (UpdateIndexMode)")
        current = _text_configs(idx)
        have = {c["metadataKey"] for c in current}
        if add is not None:
            new = check_text_configs(add.get("textSearchConfigurations") or [],
                                     "add.textSearchConfigurations")  # fmt: skip
            for c in new:
                if c["metadataKey"] in have:
                    raise ApiError("ConflictException",
                                   f"Metadata key {c['metadataKey']!r} is already full-text "
                                   f"searchable in index {idx.name!r}")  # fmt: skip
            if len(current) + len(new) > MAX_TEXT_SEARCH_KEYS:
                raise Invalid("add.textSearchConfigurations",
                              f"An index has at most {MAX_TEXT_SEARCH_KEYS} searchable keys")
            self._write_text_configs(idx, current + [{**c, "status": "BUILDING"} for c in new])
            idx.text.backfill(idx.store)
            self._write_text_configs(idx, [{**c, "status": "ACTIVE"} for c in _text_configs(idx)])
        else:
            gone = []
            for i, item in enumerate(delete.get("textSearchConfigurations") or []):
                key = _check_key(item["metadataKey"],
                                 f"delete.textSearchConfigurations[{i}].metadataKey")
                if key not in have:
                    raise Invalid(f"delete.textSearchConfigurations[{i}].metadataKey",
                                  f"Metadata key {key!r} is not full-text searchable in "
                                  f"index {idx.name!r}")  # fmt: skip
                gone.append(key)
            self._write_text_configs(idx, [c for c in current if c["metadataKey"] not in gone])
        return {"indexArn": self._index_arn(idx.bucket, idx.name)}

    def _write_text_configs(self, idx: IndexHandle, configs: list[dict[str, Any]]) -> None:
        meta = dict(idx.config.get("metadataConfiguration") or {})
        meta["textSearchConfigurations"] = configs
        idx.config["metadataConfiguration"] = meta
        write_json(idx.path / "index.json", idx.config)
        idx.text.configure(configs)
