"""The README's install steps for systemd, carried out in a temporary root: who can read what afterwards.

Each step of the README's first shell block under "Running under systemd" is run for real where that is
harmless: ``install`` into the temporary root (so the modes are what GNU install makes), ``systemd-sysusers
--root`` on it (so the user and group are what systemd makes, in the temporary root's /etc/passwd, not this
machine's). Ownership (``install -o/-g``) is recorded rather than applied, as it would name users this machine
does not have. The files' owners, groups and modes then say, by the POSIX permission rules, whether the
service's user, or any other unprivileged user, may read the config and the credentials.
"""

from __future__ import annotations

import re
import shlex
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest
import yaml

from karmadad.config import parse_config
from tests.unit.test_systemd_unit import parse_unit

ROOT = Path(__file__).parents[2]
UNIT = parse_unit((ROOT / "systemd" / "karmadad.service").read_text())
# README steps that change nothing this test models: the venv, systemd's own state, logs.
NO_FILE_EFFECT = {"python3", "/opt/karmadad/bin/pip", "systemctl", "journalctl"}
# Stand-ins for the credentials an operator brings (a token long enough for karmadad's check).
OPERATOR_FILES = {"admin.token": "an-admin-token-0123456789\n", "member1.kubeconfig": "apiVersion: v1\n"}


@dataclass(frozen=True)
class Identity:
    user: str
    groups: frozenset[str]


@dataclass
class InstalledRoot:
    """A temporary root after the README's steps, with the ownership each ``install`` would have set."""

    path: Path
    owners: dict[PurePosixPath, tuple[str, str]] = field(default_factory=dict)

    def real(self, target: PurePosixPath) -> Path:
        return self.path / target.relative_to("/")

    def owner(self, target: PurePosixPath) -> tuple[str, str]:
        return self.owners.get(target, ("root", "root"))  # sudo: root's, unless -o/-g said otherwise

    def mode(self, target: PurePosixPath) -> int:
        return stat.S_IMODE(self.real(target).stat().st_mode)

    def allows(self, who: Identity, target: PurePosixPath, wanted: int) -> bool:
        """POSIX permission check for one path: owner bits, else group bits, else other bits (r=4, w=2, x=1)."""
        user, group = self.owner(target)
        mode = self.mode(target)
        if who.user == user:
            bits = mode >> 6
        elif group in who.groups:
            bits = mode >> 3
        else:
            bits = mode
        return bits & wanted == wanted

    def can_read(self, who: Identity, target: PurePosixPath) -> bool:
        """Read access: search (x) on every directory on the way, read (r) on the file itself."""
        on_the_way = [parent for parent in reversed(target.parents) if parent != PurePosixPath("/")]
        return all(self.allows(who, d, 1) for d in on_the_way) and self.allows(who, target, 4)

    def group_members(self, group: str) -> set[str]:
        """Users whose primary group (passwd) or supplementary list (group) is ``group``, as sysusers wrote them."""
        gid = next(line.split(":")[2] for line in self._lines("group") if line.split(":")[0] == group)
        primary = {line.split(":")[0] for line in self._lines("passwd") if line.split(":")[3] == gid}
        listed = next(line.split(":")[3] for line in self._lines("group") if line.split(":")[0] == group)
        return primary | {name for name in listed.split(",") if name}

    def _lines(self, name: str) -> list[str]:
        return (self.path / "etc" / name).read_text().splitlines()


def readme_install_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Running under systemd\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def commands(block: str) -> list[list[str]]:
    """The block's commands, comments dropped, ``a && b`` split, ``sudo`` taken off."""
    found = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        while words:
            command, words = (
                (words[: words.index("&&")], words[words.index("&&") + 1 :]) if "&&" in words else (words, [])
            )
            found.append(command[1:] if command[0] == "sudo" else command)
    return found


def run_install(words: list[str], root: InstalledRoot, workdir: Path) -> None:
    """GNU install, re-rooted: the options that set modes and make directories are applied, -o/-g recorded."""
    options = {"-o": "root", "-g": "root"}
    kept: list[str] = []
    operands: list[str] = []
    it = iter(words[1:])
    for word in it:
        if word in ("-o", "-g"):
            options[word] = next(it)
        elif word == "-m":
            kept += [word, next(it)]
        elif word in ("-d", "-D"):
            kept.append(word)
        else:
            assert not word.startswith("-"), f"install option this test does not model: {word}"
            operands.append(word)
    if "-d" in kept:
        targets = [PurePosixPath(operand) for operand in operands]
        arguments = [str(root.real(target)) for target in targets]
    else:
        *sources, destination = operands
        target = PurePosixPath(destination)
        into_directory = len(sources) > 1 or destination.endswith("/") or root.real(target).is_dir()
        targets = [target / Path(source).name for source in sources] if into_directory else [target]
        arguments = [*sources, str(root.real(target))]
    result = subprocess.run(
        ["install", *kept, *arguments], cwd=workdir, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, f"{shlex.join(words)}: {result.stderr}"
    for target in targets:
        root.owners[target] = (options["-o"], options["-g"])


def run_sysusers(words: list[str], root: InstalledRoot) -> None:
    configs = [str(root.real(PurePosixPath(word))) for word in words[1:] if not word.startswith("-")]
    result = subprocess.run(
        ["systemd-sysusers", f"--root={root.path}", *configs], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledRoot:
    """The README's steps run from a copy of the checkout with the operator's credential files beside it."""
    if not shutil.which("systemd-sysusers") or not shutil.which("install"):
        pytest.skip("systemd-sysusers or GNU install not available")
    workdir = tmp_path_factory.mktemp("checkout")
    for folder in ("config", "systemd"):
        shutil.copytree(ROOT / folder, workdir / folder)
    for name, content in OPERATOR_FILES.items():
        (workdir / name).write_text(content)
        (workdir / name).chmod(0o644)  # as an editor or a copy leaves it: the steps must make it private
    root = InstalledRoot(tmp_path_factory.mktemp("root"))
    (root.path / "etc" / "systemd" / "system").mkdir(parents=True)  # what any systemd machine has
    for words in commands(readme_install_block()):
        if words[0] == "install":
            run_install(words, root, workdir)
        elif words[0] == "systemd-sysusers":
            run_sysusers(words, root)
        else:
            assert words[0] in NO_FILE_EFFECT, f"README step this test does not model: {shlex.join(words)}"
    return root


def service_identity() -> Identity:
    user, group = UNIT["Service"]["User"][-1], UNIT["Service"]["Group"][-1]
    return Identity(user, frozenset({group}))


CONFIG_DIR = PurePosixPath("/etc") / UNIT["Service"]["ConfigurationDirectory"][-1]
CONFIG = CONFIG_DIR / "karmadad.yaml"
CREDENTIALS = [CONFIG_DIR / name for name in OPERATOR_FILES]
SOMEONE_ELSE = Identity("alice", frozenset({"alice", "users"}))


def test_the_unit_runs_as_the_user_and_group_the_steps_create(installed):
    assert "DynamicUser" not in UNIT["Service"]  # a dynamic user could not be given /etc/karmadad's files
    service = service_identity()
    passwd = (installed.path / "etc" / "passwd").read_text().splitlines()
    assert any(line.split(":")[0] == service.user for line in passwd), passwd
    [group] = service.groups
    # nobody but the service's user is in its group, so group-readable means readable by the service only
    assert installed.group_members(group) == {service.user}


def test_the_service_reads_its_config_and_credentials(installed):
    service = service_identity()
    assert installed.real(CONFIG).is_file()
    for path in [CONFIG, *CREDENTIALS]:
        assert installed.real(path).is_file(), f"the README's steps do not install {path}"
        assert installed.can_read(service, path), (
            f"{path}: {installed.owner(path)} {installed.mode(path):04o}"
        )


def test_no_one_else_reads_them_or_lists_the_directory(installed):
    for path in [CONFIG, *CREDENTIALS]:
        assert not installed.can_read(SOMEONE_ELSE, path), path
    assert not installed.allows(SOMEONE_ELSE, CONFIG_DIR, 4) and not installed.allows(
        SOMEONE_ELSE, CONFIG_DIR, 1
    )


def test_least_privilege_config_read_only_credentials_private(installed):
    service = service_identity()
    assert installed.owner(CONFIG)[0] == "root" and not installed.allows(service, CONFIG, 2)
    assert installed.owner(CONFIG_DIR)[0] == "root" and not installed.allows(service, CONFIG_DIR, 2)
    for path in CREDENTIALS:
        assert installed.owner(path)[0] == service.user, path
        assert installed.mode(path) & 0o077 == 0, f"{path}: {installed.mode(path):04o}"


def test_the_directory_mode_is_the_units_configuration_directory_mode(installed):
    # systemd leaves an existing ConfigurationDirectory= as it is; the two must agree
    assert installed.mode(CONFIG_DIR) == int(UNIT["Service"]["ConfigurationDirectoryMode"][-1], 8)


def test_an_installed_token_file_passes_karmadads_own_check(installed):
    token = installed.real(CONFIG_DIR / "admin.token")
    document = {"api": {"tokens": [{"user": "admin", "groups": ["admin"], "tokenFile": str(token)}]}}
    assert (
        parse_config(yaml.safe_load(yaml.safe_dump(document))).api.tokens[0].secret()
        == "an-admin-token-0123456789"
    )


def test_the_unit_installed_is_the_shipped_unit(installed):
    installed_unit = installed.real(PurePosixPath("/etc/systemd/system/karmadad.service"))
    assert installed_unit.read_text() == (ROOT / "systemd" / "karmadad.service").read_text()
