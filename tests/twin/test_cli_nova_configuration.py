"""A Nova run whose AWS configuration cannot work stops before any file (issue 14).

``--profile nosuchprofile`` used to record every file as a failure and exit 0. The real
botocore credential chain reads the config files named here (never the user's own), and the
run goes to a twin, so nothing leaves the machine even if a check were missed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from twin_helpers import aws_env

pytestmark = pytest.mark.slow


def cli(*args: str, cwd, env: dict) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run([sys.executable, "-m", "nova_toolkit.cli", *args], cwd=cwd,
                          env={**keep, "HF_HUB_OFFLINE": "1", **env},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def setup(twin, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("a", "b", "c"):
        (lib / f"{name}.txt").write_text(f"Note {name}: the tide comes in over the sand.")
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = us-east-1\n\n[profile work]\nregion = us-east-1\n")
    creds = tmp_path / "aws-credentials"
    creds.write_text("[work]\naws_access_key_id = test\naws_secret_access_key = test\n")
    env = {"AWS_ENDPOINT_URL": twin.url, "AWS_CONFIG_FILE": str(config),
           "AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_EC2_METADATA_DISABLED": "true"}
    return lib, env


def one_line(r) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_an_unknown_profile_stops_the_run_before_any_file(setup, tmp_path, twin):
    lib, env = setup
    r = cli("embed", str(lib), "--collection", "c", "--backend", "nova", "--profile",
            "nosuchprofile", "--no-progress", cwd=tmp_path, env=env)
    line = one_line(r)
    assert "--profile 'nosuchprofile': no such AWS profile" in line and "work" in line
    stats = json.loads(subprocess.run(
        [sys.executable, "-c", f"import urllib.request;print(urllib.request.urlopen("
         f"'{twin.url}/_twin/stats').read().decode())"], capture_output=True, text=True
    ).stdout)
    assert not stats.get("outcomes"), stats  # no model call was made
    if (tmp_path / "c").exists():  # nothing recorded: no failure rows, no rows
        info = cli("info", "--collection", "c", "--json", cwd=tmp_path, env=env)
        assert info.returncode == 0, info.stderr
        summary = json.loads(info.stdout)
        assert summary["segments"] == 0 and summary["failures"] == 0, summary
    # the profile that exists works, and no earlier file was recorded as failed
    r = cli("embed", str(lib), "--collection", "c", "--backend", "nova", "--profile", "work",
            "--no-progress", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "embedded 3, cached 0, failed 0" in r.stdout


def test_no_credentials_at_all_is_one_line(setup, tmp_path):
    lib, env = setup
    (tmp_path / "aws-credentials").write_text("")
    r = cli("embed", str(lib), "--collection", "c", "--backend", "nova", "--no-progress",
            cwd=tmp_path, env=env)
    assert "no AWS credentials found" in one_line(r)


def test_the_walkthroughs_environment_still_works(setup, tmp_path, twin):
    lib, _ = setup
    r = cli("embed", str(lib), "--collection", "c", "--backend", "nova", "--no-progress",
            cwd=tmp_path, env=aws_env(twin.url))
    assert r.returncode == 0 and "failed 0" in r.stdout, r.stderr
