"""Shared fixtures. Real member clusters are started once per session and shared by every test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.kube.binaries import BUILD_SCRIPT, KubeBinaries
from tests.kube.cluster import KubeHarness, harness_processes

IN_CI = os.environ.get("CI", "").lower() == "true"
# fixtures that start real member clusters or karmadad as a process, or need the Go-built binaries
_SLOW_FIXTURES = frozenset({"kube_binaries", "kube_members", "kubectl_binary", "karmadad"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` what ``make check`` leaves to ``make test``: tests on real member clusters or the
    Go-built binaries, and tests that run karmadad as a process (``tests/daemon``)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if (
            _SLOW_FIXTURES & fixtures
            or item.get_closest_marker("real_cluster")
            or "tests/daemon/" in item.nodeid
        ):
            item.add_marker(pytest.mark.slow)


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
