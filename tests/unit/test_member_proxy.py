"""Which proxy a member's requests go through: the kubeconfig's, else the environment's unless NO_PROXY
names the member."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client

from karmadad.members.connection import proxy_for


def configuration(host: str, proxy: str | None = None) -> client.Configuration:
    result = client.Configuration()
    result.host = host
    result.proxy = proxy
    return result


@pytest.fixture
def environment(monkeypatch):
    for name in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_kubeconfig_proxy_wins(environment):
    environment.setenv("HTTPS_PROXY", "http://env-proxy:3128")
    assert proxy_for(configuration("https://10.0.0.5:6443", "http://kubeconfig-proxy:8080")) == (
        "http://kubeconfig-proxy:8080"
    )


def test_the_environment_proxy_for_the_member_scheme(environment):
    environment.setenv("HTTPS_PROXY", "http://env-proxy:3128")
    assert proxy_for(configuration("https://member.example:6443")) == "http://env-proxy:3128"
    assert proxy_for(configuration("http://member.example:8080")) is None


def test_no_proxy_names_the_member(environment):
    environment.setenv("HTTPS_PROXY", "http://env-proxy:3128")
    environment.setenv("NO_PROXY", "localhost,.internal")
    assert proxy_for(configuration("https://api.cluster.internal:6443")) is None
    assert proxy_for(configuration("https://api.elsewhere.example:6443")) == "http://env-proxy:3128"


def test_no_proxy_at_all(environment):
    assert proxy_for(configuration("https://10.0.0.5:6443")) is None
