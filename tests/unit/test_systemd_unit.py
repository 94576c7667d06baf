"""The shipped unit file: the keys the service relies on, and systemd's own verdict where available."""

import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).parents[2]
UNIT = ROOT / "systemd" / "karmadad.service"


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"not a key=value line: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_unit_declares_notify_watchdog_reload_and_hardening():
    service = parse_unit(UNIT.read_text())["Service"]
    one = {key: values[-1] for key, values in service.items()}
    assert one["Type"] == "notify"
    assert int(one["WatchdogSec"].rstrip("s")) > 0
    assert one["Restart"] == "on-failure"
    assert "-HUP $MAINPID" in one["ExecReload"]
    assert one["User"] == "karmadad" and one["StateDirectory"] == "karmadad"
    assert one["ConfigurationDirectory"] == "karmadad"
    assert "run --config ${CONFIGURATION_DIRECTORY}/karmadad.yaml" in one["ExecStart"]
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert one[key] == "yes", key
    assert one["ProtectSystem"] == "strict"
    # With ProtectSystem=strict the only writable place is what the unit grants: the state directory.
    assert "ReadWritePaths" not in one or one["ReadWritePaths"] in ("/var/lib/karmadad", "%S/karmadad")


def test_unit_runs_as_a_static_user_that_can_be_given_its_config():
    service = parse_unit(UNIT.read_text())["Service"]
    # systemd keeps a ConfigurationDirectory= root-owned; only a static user can be let into it (its group)
    assert "DynamicUser" not in service
    assert service["User"] == service["Group"] == ["karmadad"]
    sysusers = (ROOT / "systemd" / "karmadad.sysusers").read_text()
    assert re.search(r"^u karmadad - ", sysusers, re.M), sysusers  # user and group of the same name
    assert service["RemoveIPC"] == ["yes"]  # what DynamicUser= implied


def test_documentation_is_the_readme_installed_beside_the_executable():
    unit = parse_unit(UNIT.read_text())
    [documentation] = unit["Unit"]["Documentation"]
    executable = PurePosixPath(unit["Service"]["ExecStart"][-1].split()[0])
    prefix = executable.parent.parent  # /opt/karmadad/bin/karmadad: the venv pip installed into
    # setup.py's data_files put the README at PREFIX/share/doc/karmadad (tests/packaging/test_wheel.py)
    assert documentation == f"file:{prefix}/share/doc/karmadad/README.md"


def unit_runnable_here(tmp_path: Path) -> Path:
    """The unit with ExecStart on the karmadad this test suite runs: verify insists the binary exists."""
    karmadad = Path(sys.executable).parent / "karmadad"
    assert karmadad.exists()
    unit = tmp_path / "karmadad.service"
    unit.write_text(UNIT.read_text().replace("/opt/karmadad/bin/karmadad", str(karmadad)))
    return unit


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_analyze_verify(tmp_path):
    unit = unit_runnable_here(tmp_path)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "karmadad.service" not in result.stderr, result.stderr


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_security_exposure_is_no_worse_than_the_readme_says(tmp_path):
    unit = unit_runnable_here(tmp_path)
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0 and "offline" in result.stderr:
        pytest.skip(f"this systemd-analyze has no --offline: {result.stderr.strip()}")
    measured = re.search(r"Overall exposure level for karmadad\.service: (\d+\.\d+)", result.stdout)
    assert measured, result.stdout + result.stderr
    recorded = re.search(
        r"`systemd-analyze security` rates the unit (\d+\.\d+)", (ROOT / "README.md").read_text()
    )
    assert recorded, "the README's Running under systemd section records the exposure level"
    assert float(measured.group(1)) <= float(recorded.group(1)), result.stdout
