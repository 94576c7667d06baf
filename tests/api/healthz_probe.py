"""Probes a daemon's /healthz and memory every 20 ms from its own process (so the test's own work cannot
delay it) until SIGTERM, then prints the slowest answer, the peak RSS and any failures as JSON.

    python -m tests.api.healthz_probe http://127.0.0.1:9464 <pid>
"""

from __future__ import annotations

import json
import signal
import sys
import time
import urllib.request


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    base, pid = sys.argv[1], int(sys.argv[2])
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    slowest, peak, failures = 0.0, rss(pid), []
    print("probing", flush=True)
    while not stopping:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:
                answer.read()
        except OSError as error:
            failures.append(str(error))
        slowest = max(slowest, time.perf_counter() - started)
        peak = max(peak, rss(pid))
        time.sleep(0.02)
    print(json.dumps({"slowest": slowest, "peak_rss": peak, "failures": failures[:5]}), flush=True)


if __name__ == "__main__":
    main()
