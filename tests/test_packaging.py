"""Our own packaging warns about nothing: building the wheel prints no setuptools warning."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_building_the_wheel_prints_no_warning_and_ships_the_licence(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v",
         "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    for word in ("Warning", "deprecated", "!!"):
        assert word not in text, [line for line in text.splitlines() if word in line][:5]
    wheel, = tmp_path.glob("nova_toolkit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in meta
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_the_editable_install_prints_no_warning(tmp_path):
    """``pip install -e`` (what make install runs) builds through PEP 660's build_editable."""
    code = ("import sys; from setuptools import build_meta; "
            "print(build_meta.build_editable(sys.argv[1]))")
    out = subprocess.run([sys.executable, "-W", "always", "-c", code, str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    for word in ("Warning", "deprecated", "!!"):
        assert word not in text, [line for line in text.splitlines() if word in line][:5]
    assert list(tmp_path.glob("nova_toolkit-*.whl"))
