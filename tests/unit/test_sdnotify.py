import os
import socket

import anyio
import pytest

from karmadad.sdnotify import SystemdNotifier


@pytest.fixture
def notify_socket(tmp_path):
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(5)
        yield path, sock


def test_without_notify_socket_nothing_is_sent():
    assert SystemdNotifier({}).notify("READY=1") is False


def test_ready_datagram_reaches_the_socket(notify_socket):
    path, sock = notify_socket
    assert SystemdNotifier({"NOTIFY_SOCKET": str(path)}).notify("READY=1\nSTATUS=serving")
    assert sock.recv(4096) == b"READY=1\nSTATUS=serving"


def test_abstract_namespace_socket():
    name = f"karmadad-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(5)
        assert SystemdNotifier({"NOTIFY_SOCKET": "@" + name}).notify("STOPPING=1")
        assert sock.recv(4096) == b"STOPPING=1"


def test_watchdog_interval_is_half_the_timeout_and_only_for_us():
    assert SystemdNotifier({"WATCHDOG_USEC": "30000000"}).watchdog_interval == 15.0
    assert (
        SystemdNotifier({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}).watchdog_interval
        == 15.0
    )
    assert SystemdNotifier({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}).watchdog_interval is None
    assert SystemdNotifier({"WATCHDOG_USEC": "0"}).watchdog_interval is None
    assert SystemdNotifier({}).watchdog_interval is None


def test_watchdog_pings_repeat(notify_socket):
    path, sock = notify_socket
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "100000"})

    async def feed_briefly():
        with anyio.move_on_after(0.3):
            await notifier.keep_watchdog_fed()

    anyio.run(feed_briefly)
    pings = [sock.recv(64) for _ in range(3)]
    assert pings == [b"WATCHDOG=1"] * 3
