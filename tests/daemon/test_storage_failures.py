"""The daemon on a bad or full state file: one line and exit 1, or read-only and not ready until space returns."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.api.rawhttp import Client
from tests.daemon.test_daemon_process import get, ports, start  # noqa: F401 (fixtures)

TOKEN = "storage-test-token-0123456789"


def _run_until_exit(tmp_path: Path, config: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "karmadad.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [sys.executable, "-m", "karmadad", "run", "--config", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("damage", ["empty", "corrupt"])
def test_a_damaged_state_file_stops_karmadad_with_one_line(tmp_path, ports, damage):  # noqa: F811
    data = tmp_path / "state"
    data.mkdir(mode=0o700)
    config = {**ports, "dataDir": str(data)}
    state = data / "karmadad.db"
    if damage == "empty":
        state.touch(mode=0o600)
    else:
        state.write_bytes(b"SQLite format 3\0" + os.urandom(8192))
    finished = _run_until_exit(tmp_path, config)
    assert finished.returncode == 1
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"karmadad: store: {state}"), finished.stderr
    assert ("is empty (0 bytes)" if damage == "empty" else "corrupt") in lines[0]
    assert "move it away" in lines[0]


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)], capture_output=True
    )
    return done.returncode == 0


def test_a_full_disk_makes_karmadad_read_only_until_space_returns(tmp_path, ports, start):  # noqa: F811
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "24m"):
        pytest.skip("cannot mount a small tmpfs here (the store's own test injects SQLITE_FULL instead)")
    try:
        config = {
            **ports,
            "dataDir": str(disk / "data"),
            "api": {**ports["api"], "tokens": [{"user": "admin", "groups": ["admin"], "token": TOKEN}]},
        }
        daemon = start(config)
        daemon.messages_until("READY=1")
        api = Client(ports["api"]["listen"], TOKEN)
        ops = f"http://{ports['metrics']['listen']}"
        cm = "/api/v1/namespaces/default/configmaps"
        status, _ = api.send_json("POST", cm, {"metadata": {"name": "before"}, "data": {"k": "v"}})
        assert status == 201
        filler = disk / "filler"
        with open(filler, "wb") as out:  # fill the disk to the last byte
            try:
                while True:
                    out.write(b"\0" * 1024 * 1024)
                    out.flush()
            except OSError:
                pass
        refused = 0
        for i in range(40):
            status, answer = api.send_json(
                "POST", cm, {"metadata": {"name": f"during-{i}"}, "data": {"k": "x" * 100_000}}
            )
            if status == 503:
                refused += 1
                assert answer["message"] == "the disk is full: karmadad is read-only until space returns"
            if refused >= 3:
                break
        assert refused >= 3
        assert get(ops + "/readyz")[0] == 503
        assert api.send_json("GET", f"{cm}/before")[0] == 200  # reads go on
        assert daemon.proc.poll() is None
        assert daemon.wait_for_log("the disk is full: karmadad is read-only until space returns")

        daemon.proc.kill()  # and a restart on the full disk starts read-only, not ready
        daemon.proc.wait()
        daemon = start(config)
        daemon.messages_until("READY=1")
        assert get(ops + "/readyz")[0] == 503
        assert api.send_json("GET", f"{cm}/before")[0] == 200
        assert api.send_json("POST", cm, {"metadata": {"name": "refused"}, "data": {"k": "v"}})[0] == 503

        filler.unlink()  # space returns
        deadline = time.monotonic() + 20
        while get(ops + "/readyz")[0] != 200:
            assert time.monotonic() < deadline, "still not ready after space returned"
            time.sleep(0.2)
        assert api.send_json("POST", cm, {"metadata": {"name": "after"}, "data": {"k": "v"}})[0] == 201
        acknowledged = {item["metadata"]["name"] for item in api.send_json("GET", cm)[1]["items"]}
        daemon.proc.kill()
        daemon.proc.wait()
        daemon = start(config)  # after kill -9: everything acknowledged is still there
        daemon.messages_until("READY=1")
        names = {item["metadata"]["name"] for item in api.send_json("GET", cm)[1]["items"]}
        assert names == acknowledged and {"before", "after"} <= names
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
