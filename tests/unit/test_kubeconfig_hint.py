"""The first start tells the next step: one line with the ``karmadad kubeconfig`` command for the config file
karmadad runs on — a command the command line takes as it is, which writes a kubeconfig for this karmadad."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

import yaml

from karmadad import cli
from karmadad.apiserver.auth import configured_tokens
from karmadad.apiserver.tls import GeneratedPKI
from karmadad.config import load_config
from karmadad.daemon import Daemon, kubeconfig_command


def test_the_command_names_the_config_file_karmadad_was_started_with():
    assert kubeconfig_command(Path("config/karmadad.yaml")) == (
        "karmadad kubeconfig --config config/karmadad.yaml --output ~/.kube/karmadad.kubeconfig"
    )
    assert kubeconfig_command(None) == ("karmadad kubeconfig --output ~/.kube/karmadad.kubeconfig"), (
        "the embedded defaults"
    )
    assert kubeconfig_command(Path("/etc/my karmadad/k.yaml"), ".venv/bin/karmadad") == (
        ".venv/bin/karmadad kubeconfig --config '/etc/my karmadad/k.yaml' --output ~/.kube/karmadad.kubeconfig"
    )


def test_the_program_is_named_as_it_was_run_when_the_command_line_says():
    assert cli._program(".venv/bin/karmadad") == ".venv/bin/karmadad"
    assert cli._program("/usr/lib/python3/site-packages/karmadad/__main__.py") == "karmadad"


def test_the_first_start_says_how_to_get_a_kubeconfig_and_the_command_works(tmp_path, caplog, capsys):
    config_file = tmp_path / "karmadad.yaml"
    config_file.write_text(
        yaml.safe_dump({"dataDir": str(tmp_path / "state"), "api": {"listen": "127.0.0.1:7999"}})
    )
    config = load_config(config_file)
    daemon = Daemon(config, config_path=config_file)
    assert daemon.generates_credentials(), "a fresh data directory: the first start"
    caplog.set_level(logging.INFO, logger="karmadad")
    daemon.tell_how_to_connect(first_start=daemon.generates_credentials())
    (line,) = [r for r in caplog.records if r.name == "karmadad.daemon"]
    assert line.levelname == "INFO"
    assert line.getMessage() == "first start: API credentials generated; get a kubeconfig for kubectl"
    # what the daemon generates as it starts serving
    GeneratedPKI(config.dataDir / "pki").ensure([])
    (token,) = configured_tokens(config.api, config.dataDir)
    assert not daemon.generates_credentials(), "a later start generates nothing"

    program, *arguments, option, target = shlex.split(line.command)
    assert (program, option, target) == ("karmadad", "--output", "~/.kube/karmadad.kubeconfig")
    written = tmp_path / "home" / ".kube" / "karmadad.kubeconfig"  # the shell would expand ~ to the home
    assert cli.main([*arguments, option, str(written)]) == 0
    kubeconfig = yaml.safe_load(written.read_text())
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:7999"
    assert kubeconfig["users"][0]["user"]["token"] == token

    caplog.clear()
    daemon.tell_how_to_connect(first_start=False)
    (line,) = [r for r in caplog.records if r.name == "karmadad.daemon"]
    assert (line.getMessage(), line.command) == (
        "get a kubeconfig for kubectl",
        kubeconfig_command(config_file),
    )
