"""``karmadad example-config``, ``systemd-unit`` and ``systemd-sysusers`` print the project's one copy of each."""

from pathlib import Path

import pytest
import yaml

from karmadad.cli import main
from karmadad.config import parse_config

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("command", "original"),
    [
        ("example-config", "config/karmadad.yaml"),
        ("systemd-unit", "systemd/karmadad.service"),
        ("systemd-sysusers", "systemd/karmadad.sysusers"),
    ],
)
def test_the_command_prints_the_file_byte_for_byte(capsys, command, original):
    assert main([command]) == 0
    assert capsys.readouterr().out == (ROOT / original).read_text()


def test_the_printed_example_config_is_a_valid_config(capsys):
    assert main(["example-config"]) == 0
    assert parse_config(yaml.safe_load(capsys.readouterr().out)) is not None


def test_a_lost_file_is_one_line_and_exit_1(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("karmadad.shipped._PACKAGE", tmp_path / "karmadad")
    assert main(["systemd-unit"]) == 1
    assert (
        capsys.readouterr().err
        == f"karmadad: {tmp_path / 'systemd' / 'karmadad.service'}: No such file or directory\n"
    )
