"""A NodePort Service propagated to three real members is exposed on the same node port everywhere.

karmadad allocates the template's clusterIP and nodePort as karmada-apiserver does; the clusterIP is pruned
on the way to the members (each member allocates its own from its range), the nodePort is kept, so every
member's kube-apiserver reserves the template's port.
"""

from __future__ import annotations

import ipaddress
import json

import pytest
import yaml

from tests.integration.test_cluster_registration import Daemon, ready
from tests.integration.test_kube_harness import kubectl as member_kubectl
from tests.integration.test_propagation import eventually
from tests.kube.cluster import KubeHarness

pytestmark = pytest.mark.real_cluster

NS = "svc-node-ports"
KARMADAD_CIDR = "10.77.0.0/16"  # unlike the members' 10.0.0.0/24: whose address is whose shows
MEMBER_CIDR = "10.0.0.0/24"  # tests/kube/cluster.py
MEMBERS = ("member1", "member2", "member3")
MANIFESTS = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {NS}}}
spec:
  type: NodePort
  selector: {{app: web}}
  ports:
  - {{name: http, port: 80, targetPort: 8080}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: web, namespace: {NS}}}
spec:
  resourceSelectors:
  - {{apiVersion: v1, kind: Service, name: web}}
  placement:
    clusterAffinity:
      clusterNames: [{", ".join(MEMBERS)}]
"""


class ServiceRangeDaemon(Daemon):
    """The registration tests' daemon, with its own service range in the config."""

    def write(self, clusters: list[dict]) -> None:
        super().write(clusters)
        config = yaml.safe_load(self.config_path.read_text())
        config["api"]["serviceClusterIPRange"] = KARMADAD_CIDR
        config["api"]["serviceNodePortRange"] = "30000-32767"
        self.config_path.write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def karmadad(kube_members: KubeHarness, kube_binaries, tmp_path_factory):
    """kubectl against a karmadad managing the three members (a function of kubectl's arguments)."""
    clusters = yaml.safe_load((kube_members.workdir / "clusters.yaml").read_text())["clusters"]
    daemon = ServiceRangeDaemon(tmp_path_factory.mktemp("service-node-ports"), clusters)
    try:
        daemon.wait_for(
            lambda cs: len(cs) == 3 and all(ready(c) for c in cs.values()), 30, "3 Ready clusters"
        )
        kubeconfig = daemon.kubeconfig()
        members = {c["name"]: c["kubeconfig"] for c in clusters}

        def run(*args: str, stdin: str | None = None, member: str | None = None) -> str:
            return member_kubectl(
                kube_binaries, members[member] if member else kubeconfig, *args, stdin=stdin
            )

        yield run
        run("delete", "--ignore-not-found", "--wait=false", "-f", "-", stdin=MANIFESTS)
    finally:
        daemon.stop()


def test_members_expose_the_templates_node_port(karmadad):
    karmadad("apply", "-f", "-", stdin=MANIFESTS)
    template = json.loads(karmadad("get", "service", "web", "-n", NS, "-o", "json"))["spec"]
    assert ipaddress.ip_address(template["clusterIP"]) in ipaddress.ip_network(KARMADAD_CIDR), template
    assert template["clusterIPs"] == [template["clusterIP"]]
    node_port = template["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767, template

    def member_service(member: str) -> dict:
        return json.loads(karmadad("get", "service", "web", "-n", NS, "-o", "json", member=member))["spec"]

    for member in MEMBERS:
        spec = eventually(lambda m=member: member_service(m), 60, f"the Service in {member}")
        assert spec["ports"][0]["nodePort"] == node_port, (member, spec)
        assert ipaddress.ip_address(spec["clusterIP"]) in ipaddress.ip_network(MEMBER_CIDR), (member, spec)

    # applying the same manifest again (it has no clusterIP, no nodePort) keeps the template's values
    karmadad("apply", "-f", "-", stdin=MANIFESTS)
    again = json.loads(karmadad("get", "service", "web", "-n", NS, "-o", "json"))["spec"]
    assert again["clusterIP"] == template["clusterIP"] and again["ports"][0]["nodePort"] == node_port
