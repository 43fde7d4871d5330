"""nova_toolkit.datasets: the sample library and the notebooks' folders, from any directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import nova_toolkit
from nova_toolkit import datasets

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in (datasets.SAMPLE_ENV, datasets.HOME_ENV, datasets.COLLECTION_ENV,
                 datasets.OUT_ENV, "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)


def test_the_checkout_s_sample_library_from_another_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = nova_toolkit.sample_library()
    assert found == ROOT / "data" / "sample"
    assert {p.name for p in found.iterdir()} >= {"text", "images", "audio", "video", "documents"}
    assert datasets.sample_library("heldout") == ROOT / "data" / "heldout"


def test_the_variable_wins_and_a_wrong_one_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.SAMPLE_ENV, str(tmp_path))
    assert datasets.sample_library() == tmp_path.resolve()
    monkeypatch.setenv(datasets.SAMPLE_ENV, str(tmp_path / "missing"))
    with pytest.raises(nova_toolkit.SampleDataNotFoundError, match="NOVA_TOOLKIT_SAMPLE"):
        datasets.sample_library()
    with pytest.raises(nova_toolkit.InvalidArgumentError, match="allowed: sample, heldout"):
        datasets.sample_library("samples")


def test_an_installed_package_without_a_checkout_names_the_variable(tmp_path):
    """A copy of the package outside any checkout (as a wheel installs it) has no media."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(ROOT / "nova_toolkit", site / "nova_toolkit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import nova_toolkit\n"
            "try:\n    nova_toolkit.sample_library()\n"
            "except nova_toolkit.SampleDataNotFoundError as e:\n    print('ERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin"},
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ERR ") and "NOVA_TOOLKIT_SAMPLE" in out.stdout


def test_folders_do_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    monkeypatch.chdir(a)
    first = (datasets.workspace(), datasets.sample_collection(), datasets.output_dir())
    monkeypatch.chdir(b)
    assert (datasets.workspace(), datasets.sample_collection(), datasets.output_dir()) == first
    if sys.platform.startswith("linux"):
        assert first[0] == (tmp_path / "home" / ".cache" / "nova-toolkit").resolve()
    assert first[1] == first[0] / "sample-collection"
    assert datasets.sample_collection("nova") == first[0] / "sample-collection-nova"
    assert first[2] == first[0] / "out" and first[2].is_dir()
    assert not list(a.iterdir()) and not list(b.iterdir())


def test_variables_point_the_folders_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.HOME_ENV, str(tmp_path / "ws"))
    assert datasets.workspace() == (tmp_path / "ws").resolve()
    assert datasets.sample_collection() == (tmp_path / "ws" / "sample-collection").resolve()
    monkeypatch.setenv(datasets.COLLECTION_ENV, str(tmp_path / "c"))
    monkeypatch.setenv(datasets.OUT_ENV, str(tmp_path / "o"))
    assert datasets.sample_collection("nova") == (tmp_path / "c").resolve()
    assert datasets.output_dir() == (tmp_path / "o").resolve()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(datasets.HOME_ENV)
    if sys.platform.startswith("linux"):
        assert datasets.workspace() == (tmp_path / "xdg" / "nova-toolkit").resolve()
