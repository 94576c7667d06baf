"""``karmadad kubeconfig --output``: the admin token lands in a file only its owner can read, outside the checkout."""

import base64
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from karmadad.cli import main

ROOT = Path(__file__).parents[2]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A config of the quick start's kind: no api.tokens, so the generated admin token is used."""
    data = tmp_path / "data"
    (data / "pki").mkdir(parents=True)
    (data / "pki" / "ca.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nnot checked here\n")
    path = tmp_path / "karmadad.yaml"
    path.write_text(yaml.safe_dump({"dataDir": str(data)}))
    return path


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The common umask, under which a plain ``> file`` redirect makes the file readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_output_is_created_private_with_a_private_new_directory(
    tmp_path, config_file, permissive_umask, capsys
):
    target = tmp_path / "home" / ".kube" / "karmadad.kubeconfig"
    assert main(["kubeconfig", "--config", str(config_file), "--output", str(target)]) == 0
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700
    assert str(target) in capsys.readouterr().out
    document = yaml.safe_load(target.read_text())
    token = (tmp_path / "data" / "admin.token").read_text().strip()
    assert document["users"] == [{"name": "admin", "user": {"token": token}}]
    ca = base64.b64decode(document["clusters"][0]["cluster"]["certificate-authority-data"])
    assert ca == (tmp_path / "data" / "pki" / "ca.crt").read_bytes()
    assert sorted(p.name for p in target.parent.iterdir()) == ["karmadad.kubeconfig"]  # no temporary left


def test_an_existing_readable_file_is_replaced_by_a_private_one(tmp_path, config_file, permissive_umask):
    target = tmp_path / "karmadad.kubeconfig"
    target.write_text("old\n")
    target.chmod(0o644)
    assert main(["kubeconfig", "--config", str(config_file), "--output", str(target)]) == 0
    assert mode(target) == 0o600
    assert "token:" in target.read_text()


def test_without_output_it_prints_the_kubeconfig(config_file, capsys):
    assert main(["kubeconfig", "--config", str(config_file)]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["current-context"] == "admin@karmadad"


def test_an_unwritable_output_is_one_line_and_exit_1(tmp_path, config_file, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["kubeconfig", "--config", str(config_file), "--output", str(blocker / "x")]) == 1
    assert capsys.readouterr().err.startswith(f"karmadad: {blocker / 'x'}: ")


@pytest.mark.skipif(not shutil.which("make"), reason="make not installed")
def test_make_kubeconfig_writes_outside_the_checkout(tmp_path):
    result = subprocess.run(
        ["make", "-n", "kubeconfig", f"HOME={tmp_path}", "VENV=.venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    command = next(line.split() for line in result.stdout.splitlines() if " kubeconfig " in line)
    output = Path(command[command.index("--output") + 1])
    assert output == tmp_path / ".kube" / "karmadad.kubeconfig"
    assert not output.is_relative_to(ROOT)


def test_the_readme_never_redirects_a_kubeconfig_into_a_file_the_umask_decides():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^.*karmadad kubeconfig\b.*$", readme, re.M)
    assert commands
    assert not [line for line in commands if re.search(r"kubeconfig[^|#]*>", line)], commands


def test_kubeconfig_files_are_git_ignored():
    if not (ROOT / ".git").exists() or not shutil.which("git"):
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "check-ignore", "-q", "karmadad.kubeconfig"], cwd=ROOT, capture_output=True, timeout=30
    )
    assert result.returncode == 0
