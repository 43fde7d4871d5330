"""``Collection.info()``'s result: a JSON-able dict that reads well in a notebook."""

from __future__ import annotations

import html
import json


class CollectionInfo(dict):
    """Settings and counts of a collection (a plain ``dict`` for JSON and scripts)."""

    def __repr__(self) -> str:
        by = ", ".join(f"{m} {n}" for m, n in sorted(self.get("items_by_modality", {}).items()))
        return (f"<Collection {self.get('path')}: {self.get('items', 0)} items ({by}), "
                f"{self.get('segments', 0)} vectors, {self.get('failures', 0)} failures>")

    def _repr_html_(self) -> str:
        """Counts, then the settings, as two small tables."""
        s = self.get("settings", {})
        counts = [("items", self.get("items")), ("vectors", self.get("segments")),
                  ("failures", self.get("failures"))]
        counts += [(f"· {m}", n) for m, n in sorted(self.get("items_by_modality", {}).items())]
        settings = [("media root", self["media_root"])] if self.get("media_root") else []
        settings += [(k, s[k]) for k in ("backend", "model_id", "dimension", "purpose",
                                         "document_mode") if s.get(k) is not None]
        settings.append(("segmentation", json.dumps(s.get("segmentation", {}),
                                                     sort_keys=True)))

        def table(rows: list) -> str:
            return "<table>" + "".join(
                f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                f"<td>{html.escape(str(v))}</td></tr>" for k, v in rows) + "</table>"

        return (f"<div class='nova-collection-info'><b>{html.escape(str(self.get('path')))}"
                f"</b> (version {html.escape(str(self.get('version')))}){table(counts)}"
                f"{table(settings)}</div>")
