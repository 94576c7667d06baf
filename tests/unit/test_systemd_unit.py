"""The shipped unit file: the keys the service relies on, and systemd's own verdict where available."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[2] / "systemd" / "karmadad.service"


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


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_analyze_verify(tmp_path):
    # verify insists that ExecStart exists: point it at the karmadad this test suite runs.
    karmadad = Path(sys.executable).parent / "karmadad"
    assert karmadad.exists()
    unit = tmp_path / "karmadad.service"
    unit.write_text(UNIT.read_text().replace("/opt/karmadad/bin/karmadad", str(karmadad)))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "karmadad.service" not in result.stderr, result.stderr
