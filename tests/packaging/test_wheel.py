"""The wheel: karmadad's code with the example config, the systemd unit, the README and the license.

Built once per module from a clean copy of the source tree (no stale build/ directory can hide a missing
file), then unpacked as pip installs it, without the checkout beside it.
"""

import email
import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", ".karmadad", "__pycache__", ".*_cache", ".hypothesis"
)
# What the wheel must carry besides the code, each the same bytes as its one copy in the source tree.
SHIPPED = {
    "karmadad/shipped_config/karmadad.yaml": "config/karmadad.yaml",
    "karmadad/shipped_systemd/karmadad.service": "systemd/karmadad.service",
    "karmadad/shipped_systemd/karmadad.sysusers": "systemd/karmadad.sysusers",
    "karmadad-0.1.0.data/data/share/doc/karmadad/README.md": "README.md",
    "karmadad-0.1.0.dist-info/licenses/LICENSE": "LICENSE",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "karmadad"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", str(source), "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    [built] = out.glob("karmadad-*.whl")
    return built


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_wheel_ships_config_unit_readme_and_license_unchanged(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for inside, original in SHIPPED.items():
            assert inside in names, inside
            assert digest(archive.read(inside)) == digest((ROOT / original).read_bytes()), inside
        metadata = email.message_from_bytes(archive.read("karmadad-0.1.0.dist-info/METADATA"))
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert "shtab" in " ".join(metadata.get_all("Requires-Dist"))


def test_an_installed_wheel_prints_its_shipped_files_without_a_checkout(wheel, tmp_path):
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)  # a pure-Python wheel installs as it unpacks
    printed = {}
    for command in ("example-config", "systemd-unit", "systemd-sysusers"):
        program = (
            f"import sys; sys.path.insert(0, {str(site)!r}); import karmadad.shipped, karmadad.cli; "
            f"assert karmadad.shipped.__file__.startswith({str(site)!r}), karmadad.shipped.__file__; "
            f"sys.exit(karmadad.cli.main([{command!r}]))"
        )
        result = subprocess.run(
            [sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        printed[command] = result.stdout
    assert printed["example-config"] == (ROOT / "config" / "karmadad.yaml").read_text()
    assert printed["systemd-unit"] == (ROOT / "systemd" / "karmadad.service").read_text()
    assert printed["systemd-sysusers"] == (ROOT / "systemd" / "karmadad.sysusers").read_text()
