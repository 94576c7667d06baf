"""Services against karmadad and the test bed's kube-apiserver: the same manifests give the same status codes,
the same defaulted fields and the same errors (reason, causes with field paths and messages). Both pick
allocated values at random, so a clusterIP or nodePort is only checked to come from the range.

karmadad runs with the members' ranges (``tests/api/conftest.py``). Where kube-apiserver's dry run is
faithful the cases are dry runs; where it is not (it answers node port 32769 and the range's network
address instead of allocating, and skips the already-allocated check) they are real creates, deleted after.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import random

import pytest

from tests.api.conftest import NODE_PORT_RANGE, SERVICE_CIDR
from tests.api.rawhttp import Client

NS = "svc-differential"
COLLECTION = f"/api/v1/namespaces/{NS}/services"
NETWORK = ipaddress.ip_network(SERVICE_CIDR)
FIRST_PORT, LAST_PORT = (int(p) for p in NODE_PORT_RANGE.split("-"))
IN_RANGE_IP = "<an IP of the range>"
IN_RANGE_PORT = "<a port of the range>"


def service(name: str, **spec) -> dict:
    spec.setdefault("ports", [{"name": "web", "port": 80}])
    spec.setdefault("selector", {"app": name})
    if spec["ports"] is None:  # not sent at all (an empty list is kept as sent, kube drops it)
        del spec["ports"]
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS}, "spec": spec}


def ip_in_range(value: object, *, dry_run_kube: bool = False) -> bool:
    """A usable address of the range (kube-apiserver's dry run answers the network address itself)."""
    address = ipaddress.ip_address(value)
    usable = NETWORK.network_address < address < NETWORK.broadcast_address
    return usable or (dry_run_kube and address == NETWORK.network_address)


def shape(status: int, body: dict, *, requested: dict | None = None) -> dict:
    """What must be equal: the status code, and the spec with allocated values replaced by "in range"
    markers (values the manifest asked for stay as they are), or the error's reason, message, causes."""
    if status >= 400:
        details = body.get("details") or {}
        return {
            "code": status,
            "reason": body.get("reason"),
            "message": body.get("message"),
            "causes": sorted(
                (c.get("field", ""), c.get("reason", ""), c.get("message", ""))
                for c in details.get("causes") or []
            ),
        }
    spec = copy.deepcopy(body["spec"])
    asked = (requested or {}).get("spec") or {}
    if spec.get("clusterIP") and spec["clusterIP"] != "None" and not asked.get("clusterIP"):
        assert ip_in_range(spec["clusterIP"]), spec
        assert spec["clusterIPs"] == [spec["clusterIP"]], spec
        spec["clusterIP"], spec["clusterIPs"] = IN_RANGE_IP, [IN_RANGE_IP]
    asked_ports = {p.get("name"): p.get("nodePort") for p in asked.get("ports") or []}
    for port in spec.get("ports") or []:
        if "nodePort" in port and not asked_ports.get(port.get("name")):
            assert FIRST_PORT <= port["nodePort"] <= LAST_PORT, spec
            port["nodePort"] = IN_RANGE_PORT
    if "healthCheckNodePort" in spec and not asked.get("healthCheckNodePort"):
        assert FIRST_PORT <= spec["healthCheckNodePort"] <= LAST_PORT, spec
        spec["healthCheckNodePort"] = IN_RANGE_PORT
    return {"code": status, "spec": spec}


@pytest.fixture(scope="module")
def both(karmadad, kube_members):
    member = kube_members.member("member1")
    clients = (Client(karmadad.api), Client(member.server.removeprefix("https://"), member.token))
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    for client in clients:
        status, body = client.send_json("POST", "/api/v1/namespaces", namespace)
        assert status in (201, 409), body
    yield clients
    for client in clients:
        client.request("DELETE", f"/api/v1/namespaces/{NS}")
        client.close()


def send_both(both, method: str, path: str, body: dict | None = None) -> list[tuple[int, dict]]:
    return [client.send_json(method, path, body) for client in both]


def delete_both(both, name: str) -> None:
    for client in both:
        client.request("DELETE", f"{COLLECTION}/{name}")


# Dry runs: kube-apiserver's answer holds its real defaults and errors; its clusterIP is a placeholder.
DRY_RUN_CASES = {
    "ClusterIP, nothing given": service("plain"),
    "ClusterIP with session affinity": service("sticky", sessionAffinity="ClientIP"),
    "ClusterIP with externalIPs": service("external-ips", externalIPs=["192.0.2.10"]),
    "requested clusterIP in range": service("requested", clusterIP="10.0.0.77"),
    "only clusterIPs given": service("plural-only", clusterIPs=["10.0.0.78"]),
    "headless with a selector": service("headless", clusterIP="None"),
    "headless without a selector": {
        **service("headless-any", clusterIP="None"),
        "spec": {"clusterIP": "None"},
    },
    "ExternalName": service("alias", type="ExternalName", externalName="db.example.com", ports=None),
    "ExternalName with a clusterIP": service(
        "alias-ip", type="ExternalName", externalName="db.example.com", clusterIP="10.0.0.79"
    ),
    "RequireDualStack": service("dual", ipFamilyPolicy="RequireDualStack"),
    "PreferDualStack": service("prefer-dual", ipFamilyPolicy="PreferDualStack"),
    "IPv6 family": service("six", ipFamilies=["IPv6"]),
    "IPv6 clusterIP": service("six-ip", clusterIP="fd00::10"),
    "a malformed clusterIP": service("bad-ip", clusterIP="10.0.0.300"),
    "leading zeros": service("zeros", clusterIP="10.0.0.077"),
    "clusterIP and clusterIPs disagree": service("disagree", clusterIP="10.0.0.80", clusterIPs=["10.0.0.81"]),
    "nodePort on a ClusterIP Service": service("cluster-node-port", ports=[{"port": 80, "nodePort": 30001}]),
    "no ports": service("no-ports", ports=None),
    "two ports without names": service("unnamed", ports=[{"port": 80}, {"port": 81}]),
    "a duplicated port": service("twice", ports=[{"name": "a", "port": 80}, {"name": "b", "port": 80}]),
    "an unknown type": service("odd", type="Bridge"),
    "an unknown protocol": service("proto", ports=[{"port": 80, "protocol": "ICMP"}]),
    "headless NodePort": service("headless-np", type="NodePort", clusterIP="None"),
    "externalTrafficPolicy on ClusterIP": service("etp", externalTrafficPolicy="Local"),
    "allocateLoadBalancerNodePorts on NodePort": service(
        "alloc", type="NodePort", allocateLoadBalancerNodePorts=False
    ),
}


@pytest.mark.parametrize("case", list(DRY_RUN_CASES))
def test_dry_run_creates_answer_alike(both, case):
    manifest = DRY_RUN_CASES[case]
    ours, theirs = send_both(both, "POST", f"{COLLECTION}?dryRun=All", manifest)
    if theirs[0] == 201 and theirs[1]["spec"].get("clusterIP") not in (None, "None"):
        if not manifest["spec"].get("clusterIP") and not manifest["spec"].get("clusterIPs"):
            assert ip_in_range(theirs[1]["spec"]["clusterIP"], dry_run_kube=True)
            theirs[1]["spec"]["clusterIP"] = theirs[1]["spec"]["clusterIPs"][0] = (
                "10.0.0.2"  # a usable stand-in
            )
    assert shape(*ours, requested=manifest) == shape(*theirs, requested=manifest)


# Real creates: node ports (kube-apiserver's dry run answers port 32769, out of its own range) and the
# range checks kube-apiserver's dry run words otherwise than its creates.
CREATE_CASES = {
    "NodePort, no nodePort given": service("np", type="NodePort"),
    "NodePort, nodePort given": service(
        "np-given", type="NodePort", ports=[{"name": "web", "port": 80, "nodePort": 30011}]
    ),
    "NodePort, TCP and UDP on one port": service(
        "np-dns",
        type="NodePort",
        ports=[
            {"name": "dns", "port": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
        ],
    ),
    "LoadBalancer, externalTrafficPolicy Local": service(
        "lb-local", type="LoadBalancer", externalTrafficPolicy="Local"
    ),
    "LoadBalancer without node ports": service(
        "lb-none", type="LoadBalancer", allocateLoadBalancerNodePorts=False
    ),
    "requested clusterIP out of range": service("far", clusterIP="10.1.2.3"),
    "requested clusterIP is the broadcast address": service("broadcast", clusterIP="10.0.0.255"),
    "nodePort out of range": service(
        "np-far", type="NodePort", ports=[{"name": "web", "port": 80, "nodePort": 40000}]
    ),
    "nodePort below the range": service(
        "np-low", type="NodePort", ports=[{"name": "web", "port": 80, "nodePort": 80}]
    ),
    "two ports asking one nodePort": service(
        "np-same",
        type="NodePort",
        ports=[{"name": "a", "port": 80, "nodePort": 30012}, {"name": "b", "port": 81, "nodePort": 30012}],
    ),
}


@pytest.mark.parametrize("case", list(CREATE_CASES))
def test_creates_answer_alike(both, case):
    manifest = CREATE_CASES[case]
    name = manifest["metadata"]["name"]
    try:
        ours, theirs = send_both(both, "POST", COLLECTION, manifest)
        assert shape(*ours, requested=manifest) == shape(*theirs, requested=manifest)
        if case == "NodePort, TCP and UDP on one port" and ours[0] == 201:
            for _, body in (ours, theirs):
                first, second = (p["nodePort"] for p in body["spec"]["ports"])
                assert first == second
    finally:
        delete_both(both, name)


def test_values_already_taken_are_refused_alike(both):
    rng = random.Random()
    ip = f"10.0.0.{rng.randrange(3, 16)}"  # the lower band: dynamic allocation leaves it alone
    port = rng.randrange(30020, 30080)
    holder = service(
        "holder", clusterIP=ip, type="NodePort", ports=[{"name": "web", "port": 80, "nodePort": port}]
    )
    try:
        for status, body in send_both(both, "POST", COLLECTION, holder):
            assert status == 201, body
        for manifest in (
            service("ip-taken", clusterIP=ip),
            service("port-taken", type="NodePort", ports=[{"name": "web", "port": 80, "nodePort": port}]),
        ):
            ours, theirs = send_both(both, "POST", COLLECTION, manifest)
            assert ours[0] == 422, ours
            assert shape(*ours) == shape(*theirs)
    finally:
        for name in ("holder", "ip-taken", "port-taken"):
            delete_both(both, name)


def test_updates_keep_refuse_and_release_alike(both):
    manifest = service("updated", type="NodePort")
    path = f"{COLLECTION}/updated"
    try:
        created = send_both(both, "POST", COLLECTION, manifest)
        for status, body in created:
            assert status == 201, body
        # a PUT of the manifest as applied (no clusterIP, no nodePort): the allocated values stay
        relabelled = {**manifest, "metadata": {**manifest["metadata"], "labels": {"changed": "yes"}}}
        kept = send_both(both, "PUT", path, relabelled)
        assert shape(*kept[0]) == shape(*kept[1])
        for (_, before), (status, after) in zip(created, kept, strict=True):
            assert status == 200, after
            assert after["spec"]["clusterIP"] == before["spec"]["clusterIP"]
            assert after["spec"]["ports"][0]["nodePort"] == before["spec"]["ports"][0]["nodePort"]
        # changing the clusterIP
        moved = [
            client.send_json(
                "PUT",
                path,
                {**body, "spec": {**body["spec"], "clusterIP": "10.0.0.99", "clusterIPs": ["10.0.0.99"]}},
            )
            for client, (_, body) in zip(both, kept, strict=True)
        ]
        assert moved[0][0] == 422, moved[0]
        for answer in moved:  # the message names each side's own clusterIP: compare the rest
            for cause in answer[1]["details"]["causes"]:
                assert cause["message"] == 'Invalid value: ["10.0.0.99"]: may not change once set'
        assert [(c["field"], c["reason"]) for c in moved[0][1]["details"]["causes"]] == [
            (c["field"], c["reason"]) for c in moved[1][1]["details"]["causes"]
        ]
        # NodePort -> ClusterIP, the object as read back with only the type changed: node ports go
        current = [client.send_json("GET", path) for client in both]
        to_cluster_ip = [
            client.send_json("PUT", path, {**body, "spec": {**body["spec"], "type": "ClusterIP"}})
            for client, (_, body) in zip(both, current, strict=True)
        ]
        assert to_cluster_ip[0][0] == 200, to_cluster_ip[0]
        assert shape(*to_cluster_ip[0]) == shape(*to_cluster_ip[1])
        assert all("nodePort" not in p for p in to_cluster_ip[0][1]["spec"]["ports"])
        # ClusterIP -> ExternalName: the clusterIP goes too
        to_alias = [
            client.send_json(
                "PUT",
                path,
                {**body, "spec": {**body["spec"], "type": "ExternalName", "externalName": "db.example.com"}},
            )
            for client, (_, body) in zip(both, to_cluster_ip, strict=True)
        ]
        assert shape(*to_alias[0]) == shape(*to_alias[1]), json.dumps(
            [to_alias[0][1]["spec"], to_alias[1][1]["spec"]]
        )
        assert "clusterIP" not in to_alias[0][1]["spec"]
    finally:
        delete_both(both, "updated")


def test_a_dry_run_reserves_nothing_in_karmadad(karmadad):
    client = Client(karmadad.api)
    try:
        client.send_json("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})
        manifest = service(
            "dry",
            clusterIP="10.0.0.90",
            type="NodePort",
            ports=[{"name": "web", "port": 80, "nodePort": 30090}],
        )
        for _ in range(2):
            status, body = client.send_json("POST", f"{COLLECTION}?dryRun=All", manifest)
            assert status == 201, body
        other = {**manifest, "metadata": {**manifest["metadata"], "name": "real"}}
        status, body = client.send_json("POST", COLLECTION, other)
        assert status == 201, body
        assert body["spec"]["clusterIP"] == "10.0.0.90" and body["spec"]["ports"][0]["nodePort"] == 30090
        client.request("DELETE", f"{COLLECTION}/real")
    finally:
        client.close()
