"""systemd's notification protocol: tell the service manager we are ready, alive, or stopping.

Under ``Type=notify`` systemd passes a datagram socket in ``NOTIFY_SOCKET``; outside systemd the
variable is unset and every call is a no-op. The protocol is one datagram of ``KEY=VALUE`` lines.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

import anyio


def _address(raw: str) -> str | bytes:
    # A leading "@" names a socket in Linux's abstract namespace.
    return b"\0" + raw[1:].encode() if raw.startswith("@") else raw


class SystemdNotifier:
    def __init__(self, environ: Mapping[str, str] | None = None):
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        self._address = _address(raw) if raw else None
        self.watchdog_interval = self._watchdog_interval(env)

    @staticmethod
    def _watchdog_interval(env: Mapping[str, str]) -> float | None:
        """Half of WATCHDOG_USEC, as systemd recommends, when the watchdog is meant for this process."""
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
            return None
        return int(usec) / 2_000_000

    def notify(self, message: str) -> bool:
        """Send one state update; False when not under systemd or the socket is gone."""
        if self._address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode(), self._address)
        except OSError:
            return False
        return True

    async def keep_watchdog_fed(self) -> None:
        """Ping ``WATCHDOG=1`` while the event loop is alive; returns at once without a watchdog."""
        if self.watchdog_interval is None:
            return
        while True:
            self.notify("WATCHDOG=1")
            await anyio.sleep(self.watchdog_interval)
