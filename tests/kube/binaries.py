"""Where the Go-built Kubernetes binaries live, and building them when they are missing.

``build-binaries.sh`` does the building; this module mirrors its choice of versions and cache
folders (``versions.env``, ``KARMADAD_KUBE_CACHE``) so Python finds the same files.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "build-binaries.sh"


def pinned_versions() -> dict[str, str]:
    """The versions in ``versions.env``, each overridable by an environment variable of its name."""
    pins = {}
    for line in (HERE / "versions.env").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            pins[key.strip()] = os.environ.get(key.strip()) or value.strip()
    return pins


def cache_root() -> Path:
    if root := os.environ.get("KARMADAD_KUBE_CACHE"):
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "karmadad" / "kube"


@dataclass(frozen=True)
class KubeBinaries:
    kube_apiserver: Path
    kube_controller_manager: Path
    kube_scheduler: Path
    kubectl: Path
    etcd: Path
    kwok: Path
    old_kubectl: Path  # the oldest kubectl karmadad is tested with
    karmadactl: Path

    @classmethod
    def expected(cls) -> KubeBinaries:
        v, root = pinned_versions(), cache_root()
        k8s = root / f"kubernetes-{v['K8S_VERSION']}" / "bin"
        return cls(
            kube_apiserver=k8s / "kube-apiserver",
            kube_controller_manager=k8s / "kube-controller-manager",
            kube_scheduler=k8s / "kube-scheduler",
            kubectl=k8s / "kubectl",
            etcd=root / f"etcd-{v['ETCD_VERSION']}" / "bin" / "etcd",
            kwok=root / f"kwok-{v['KWOK_VERSION']}" / "bin" / "kwok",
            old_kubectl=root / f"kubectl-{v['OLD_KUBECTL_VERSION']}" / "bin" / "kubectl",
            karmadactl=root / f"karmada-{v['KARMADA_VERSION']}" / "bin" / "karmadactl",
        )

    def missing(self) -> list[Path]:
        return [p for p in vars(self).values() if not os.access(p, os.X_OK)]


def build_binaries() -> KubeBinaries:
    """Run the build script (a no-op when everything is cached); raises when the build fails."""
    subprocess.run(["bash", str(BUILD_SCRIPT)], check=True, stdout=subprocess.DEVNULL)
    binaries = KubeBinaries.expected()
    if missing := binaries.missing():
        raise RuntimeError(f"build finished but binaries are missing: {', '.join(map(str, missing))}")
    return binaries
