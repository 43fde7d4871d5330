"""Processes racing to create the same new collection: each gets its own settings or a
SettingsMismatchError, never the other's settings silently.

Six real Python processes wait on a start file, then all open the same (absent) collection
at once: two ask the local backend for dimension 256, two for 384, two for no dimension. The
one whose manifest lands first fixes the settings; every other either asked the same (or
nothing) and opens it, or asked differently and is refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nova_toolkit.store import SettingsMismatchError, Store
from nova_toolkit.store.settings import CollectionSettings

ROOT = Path(__file__).resolve().parents[2]

RACER = r"""
import json, sys, time
from pathlib import Path
from nova_toolkit.collection import Collection
from nova_toolkit.store import SettingsMismatchError
coll, go, ready = sys.argv[1], Path(sys.argv[3]), Path(sys.argv[4])
dimension = None if sys.argv[2] == "-" else int(sys.argv[2])
ready.write_text("ready")
while not go.exists():
    time.sleep(0.001)
try:
    got = Collection.open(coll, dimension=dimension).settings.dimension
    print(json.dumps({"asked": dimension, "got": got}))
except SettingsMismatchError as exc:
    print(json.dumps({"asked": dimension, "mismatch": str(exc)}))
"""


@pytest.mark.parametrize("round_", range(3))
def test_racing_creators_never_get_other_settings(tmp_path, round_):
    coll = tmp_path / "coll"
    go = tmp_path / "go"
    asked = [256, 384, None] * 2  # None: no dimension asked, so whatever is stored
    procs = []
    for i, dimension in enumerate(asked):
        procs.append(subprocess.Popen(
            [sys.executable, "-c", RACER, str(coll), "-" if dimension is None else
             str(dimension), str(go),
             str(tmp_path / f"ready-{i}")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-{i}").exists() for i in range(len(asked))):
        assert time.monotonic() < deadline, "racers did not start"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.write_text("go")
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    stored = Store.open(coll).settings.dimension
    assert stored in (256, 384)
    for r in results:
        if r["asked"] is None:
            assert r.get("got") == stored, r  # it asked for nothing: it gets what is there
        elif "got" in r:
            assert r["got"] == r["asked"] == stored, r
        else:
            assert r["asked"] != stored and "dimension" in r["mismatch"], r
    assert sum("got" in r for r in results) == 4  # the two that asked the same + the two Nones


def test_creation_refuses_when_another_created_it_with_other_settings(tmp_path):
    """The same rule in one process: a manifest already there is compared, not adopted."""
    base = dict(backend="local", model_id="m", purpose="GENERIC_INDEX",
                segmentation={"max_chars": 100})
    Store.open(tmp_path / "c", CollectionSettings(dimension=256, **base))
    with pytest.raises(SettingsMismatchError, match="dimension"):
        Store.open(tmp_path / "c", CollectionSettings(dimension=384, **base))
    assert Store.open(tmp_path / "c", CollectionSettings(dimension=256, **base)).version == 0
