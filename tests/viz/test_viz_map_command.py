"""``nova-toolkit map`` (nova_toolkit.cli.map) writes the semantic map as one HTML file."""

from __future__ import annotations

import argparse

import pytest

pytestmark = pytest.mark.slow


def test_map_command_writes_html(coll, tmp_path, capsys):
    from nova_toolkit.cli import map as map_command

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    map_command.register(sub)
    out = tmp_path / "map.html"
    args = parser.parse_args(["map", "--collection", str(coll.path), "--out", str(out),
                              "--color-by", "cluster", "--method", "pca", "--n-clusters", "3"])
    assert args.handler(args) == 0
    assert "wrote" in capsys.readouterr().out
    text = out.read_text()
    names = [f'"name":"{c}: ' for c in range(4)]
    assert [n in text for n in names] == [True, True, True, False]
