"""Shared fixtures. Real member clusters are started once per session and shared by every test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.kube.binaries import BUILD_SCRIPT, KubeBinaries
from tests.kube.cluster import KubeHarness, harness_processes

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def kube_binaries() -> KubeBinaries:
    """The Go-built Kubernetes binaries; missing ones fail the run in CI and skip the test elsewhere."""
    binaries = KubeBinaries.expected()
    if missing := binaries.missing():
        message = (
            f"Kubernetes test binaries missing ({', '.join(p.name for p in missing)}); "
            f"build them with `bash {BUILD_SCRIPT.relative_to(BUILD_SCRIPT.parents[2])}` (needs Go)"
        )
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return binaries


@pytest.fixture(scope="session")
def kube_members(
    kube_binaries: KubeBinaries, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KubeHarness]:
    """Three real member clusters (member1..member3), started in parallel once for the session."""
    harness = KubeHarness(tmp_path_factory.mktemp("members"), kube_binaries)
    harness.up(3)
    yield harness
    harness.down()
    assert list(harness_processes(harness.workdir)) == [], "member processes outlived teardown"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
