"""Service defaults, allocation decisions and the allocator's index (``karmadad.api.services``)."""

from __future__ import annotations

import ipaddress
import random
from types import SimpleNamespace

import pytest

from karmadad.api import services, strategy
from karmadad.api.builtin import default_registry
from karmadad.errors import InternalError, Invalid

SERVICE = default_registry().get("", "v1", "services")
RANGES = services.ServiceRanges.parse("10.0.0.0/24", "30000-32767")


class FakeStore:
    """The two things the allocator needs from a store: the committed Services and the change feed."""

    def __init__(self, existing: list[dict] | None = None):
        self.objects = {
            (o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in existing or []
        }
        self.listeners = []

    def list_all(self, resource: str) -> list[dict]:
        assert resource == "services"
        return list(self.objects.values())

    def subscribe_index(self, listener, *, resources) -> None:
        assert resources == ("services",)
        self.listeners.append(listener)

    def commit(self, obj: dict, kind: str = "MODIFIED") -> None:
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        previous = self.objects.get(key)
        if kind == "DELETED":
            self.objects.pop(key, None)
        else:
            self.objects[key] = obj
        change = SimpleNamespace(resource="services", key=key, type=kind, object=obj, previous=previous)
        for listener in self.listeners:
            listener(change)


def svc(name: str = "web", namespace: str = "default", **spec) -> dict:
    spec.setdefault("ports", [{"port": 80}])
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def create(
    allocator: services.ServiceAllocator, obj: dict, *, dry_run: bool = False, store: FakeStore | None = None
):
    with allocator.transaction(dry_run=dry_run) as allocations:
        created = strategy.prepare_create(SERVICE, obj, allocations=allocations)
        if store is not None and not dry_run:
            store.commit(created, "ADDED")
    return created


def update(allocator: services.ServiceAllocator, old: dict, new: dict, *, store: FakeStore | None = None):
    with allocator.transaction(dry_run=False) as allocations:
        updated = strategy.prepare_update(SERVICE, old, new, allocations=allocations)
        if store is not None:
            store.commit(updated)
    return updated


def causes(error: Invalid) -> list[tuple[str, str]]:
    return [(c.field, c.message) for c in error.causes]


# -- defaults ------------------------------------------------------------------------------------------


def test_defaults_of_a_bare_service_are_kube_apiservers():
    spec = services.defaulted_service(svc())["spec"]
    assert spec == {
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "sessionAffinity": "None",
        "type": "ClusterIP",
        "internalTrafficPolicy": "Cluster",
    }


def test_defaults_depend_on_the_type():
    node_port = services.defaulted_service(svc(type="NodePort"))["spec"]
    assert node_port["externalTrafficPolicy"] == "Cluster"
    assert "allocateLoadBalancerNodePorts" not in node_port
    balancer = services.defaulted_service(svc(type="LoadBalancer"))["spec"]
    assert balancer["allocateLoadBalancerNodePorts"] is True
    assert balancer["externalTrafficPolicy"] == "Cluster"
    external = services.defaulted_service(svc(type="ExternalName", externalName="db.example.com"))["spec"]
    assert "internalTrafficPolicy" not in external and "externalTrafficPolicy" not in external
    with_external_ips = services.defaulted_service(svc(externalIPs=["192.0.2.1"]))["spec"]
    assert with_external_ips["externalTrafficPolicy"] == "Cluster"


def test_client_ip_affinity_gets_a_timeout_and_none_drops_the_config():
    client = services.defaulted_service(svc(sessionAffinity="ClientIP"))["spec"]
    assert client["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    none = services.defaulted_service(svc(sessionAffinityConfig={"clientIP": {"timeoutSeconds": 5}}))["spec"]
    assert "sessionAffinityConfig" not in none


def test_a_named_target_port_is_kept():
    spec = services.defaulted_service(svc(ports=[{"port": 80, "targetPort": "http"}]))["spec"]
    assert spec["ports"][0]["targetPort"] == "http"


# -- ranges ----------------------------------------------------------------------------------------------


def test_bands_prefer_the_upper_part_and_leave_the_first_address():
    assert RANGES.ip_bands() == [
        (int(ipaddress.IPv4Address("10.0.0.17")), int(ipaddress.IPv4Address("10.0.0.254"))),
        (int(ipaddress.IPv4Address("10.0.0.2")), int(ipaddress.IPv4Address("10.0.0.16"))),
    ]
    assert RANGES.port_bands() == [(30086, 32767), (30000, 30085)]
    wide = services.ServiceRanges.parse("10.96.0.0/12")
    assert wide.ip_bands()[0][0] == int(ipaddress.IPv4Address("10.96.1.1"))


def test_pick_free_falls_back_to_the_lower_band_then_gives_up():
    taken = set(range(10, 21))
    assert services.pick_free([(10, 20), (1, 9)], taken.__contains__, random.Random(1)) in range(1, 10)
    assert services.pick_free([(10, 20)], taken.__contains__, random.Random(1)) is None


def test_ranges_refuse_ipv6():
    with pytest.raises(ValueError, match="IPv4"):
        services.ServiceRanges.parse("fd00::/108")


# -- creates ---------------------------------------------------------------------------------------------


def test_a_cluster_ip_service_gets_an_address_and_single_stack_fields():
    allocator = services.ServiceAllocator(FakeStore(), RANGES)
    spec = create(allocator, svc())["spec"]
    ip = ipaddress.ip_address(spec["clusterIP"])
    assert ip in RANGES.cidr and spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    assert "nodePort" not in spec["ports"][0]


def test_node_ports_are_allocated_in_range_and_shared_by_one_port_number():
    allocator = services.ServiceAllocator(FakeStore(), RANGES)
    ports = [
        {"name": "dns", "port": 53, "protocol": "UDP"},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
        {"name": "web", "port": 80},
    ]
    spec = create(allocator, svc(type="NodePort", ports=ports))["spec"]
    node_ports = [p["nodePort"] for p in spec["ports"]]
    assert all(30000 <= p <= 32767 for p in node_ports)
    assert node_ports[0] == node_ports[1] != node_ports[2]


def test_a_load_balancer_with_local_traffic_gets_a_health_check_port():
    allocator = services.ServiceAllocator(FakeStore(), RANGES)
    spec = create(allocator, svc(type="LoadBalancer", externalTrafficPolicy="Local"))["spec"]
    assert 30000 <= spec["healthCheckNodePort"] <= 32767
    assert spec["healthCheckNodePort"] != spec["ports"][0]["nodePort"]
    no_ports = create(allocator, svc("lb2", type="LoadBalancer", allocateLoadBalancerNodePorts=False))["spec"]
    assert "nodePort" not in no_ports["ports"][0]


def test_headless_and_external_name_get_no_address():
    allocator = services.ServiceAllocator(FakeStore(), RANGES)
    headless = create(allocator, svc(clusterIP="None", selector={"app": "x"}))["spec"]
    assert headless["clusterIPs"] == ["None"] and headless["ipFamilies"] == ["IPv4"]
    selectorless = create(allocator, svc("h2", clusterIP="None"))["spec"]
    assert selectorless["ipFamilyPolicy"] == "RequireDualStack"
    assert selectorless["ipFamilies"] == ["IPv4", "IPv6"]
    external = create(allocator, svc("ext", type="ExternalName", externalName="db.example.com"))["spec"]
    assert "clusterIP" not in external and "ipFamilies" not in external and "ipFamilyPolicy" not in external


def test_requested_values_are_checked_against_range_and_owners():
    store = FakeStore()
    allocator = services.ServiceAllocator(store, RANGES)
    first = create(
        allocator,
        svc(clusterIP="10.0.0.10", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]),
        store=store,
    )
    assert first["spec"]["clusterIPs"] == ["10.0.0.10"]
    with pytest.raises(Invalid) as taken:
        create(allocator, svc("b", clusterIP="10.0.0.10"))
    assert causes(taken.value) == [
        (
            "spec.clusterIPs",
            'Invalid value: ["10.0.0.10"]: failed to allocate IP 10.0.0.10: provided IP is already allocated',
        )
    ]
    with pytest.raises(Invalid) as outside:
        create(allocator, svc("c", clusterIP="10.1.2.3"))
    assert "the provided network does not match the current range" in outside.value.causes[0].message
    with pytest.raises(Invalid) as broadcast:
        create(allocator, svc("d", clusterIP="10.0.0.255"))
    assert "the provided network does not match the current range" in broadcast.value.causes[0].message
    with pytest.raises(Invalid) as port_taken:
        create(allocator, svc("e", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert causes(port_taken.value) == [
        ("spec.ports[0].nodePort", "Invalid value: 30080: provided port is already allocated")
    ]
    with pytest.raises(Invalid) as out_of_range:
        create(allocator, svc("f", type="NodePort", ports=[{"port": 80, "nodePort": 40000}]))
    assert causes(out_of_range.value) == [
        (
            "spec.ports[0].nodePort",
            "Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767",
        )
    ]
    with pytest.raises(InternalError, match="failed to allocate requested HealthCheck NodePort 30080"):
        create(
            allocator, svc("g", type="LoadBalancer", externalTrafficPolicy="Local", healthCheckNodePort=30080)
        )


def test_dual_stack_requests_are_refused_in_kubes_words():
    allocator = services.ServiceAllocator(FakeStore(), RANGES)
    with pytest.raises(Invalid) as required:
        create(allocator, svc(ipFamilyPolicy="RequireDualStack"))
    assert causes(required.value) == [
        (
            "spec.ipFamilyPolicy",
            'Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
        )
    ]
    with pytest.raises(Invalid) as v6:
        create(allocator, svc(ipFamilies=["IPv6"]))
    assert causes(v6.value) == [
        ("spec.ipFamilies[0]", 'Invalid value: "IPv6": not configured on this cluster')
    ]
    preferred = create(allocator, svc(ipFamilyPolicy="PreferDualStack"))["spec"]
    assert preferred["ipFamilies"] == ["IPv4"] and preferred["ipFamilyPolicy"] == "PreferDualStack"


def test_a_dry_run_picks_values_but_claims_none():
    allocator = services.ServiceAllocator(FakeStore(), RANGES)
    for _ in range(3):  # the same requested values, again and again: nothing was kept
        spec = create(
            allocator,
            svc(clusterIP="10.0.0.9", type="NodePort", ports=[{"port": 80, "nodePort": 30001}]),
            dry_run=True,
        )["spec"]
        assert spec["clusterIP"] == "10.0.0.9" and spec["ports"][0]["nodePort"] == 30001


def test_claims_in_flight_are_taken_until_the_transaction_ends():
    allocator = services.ServiceAllocator(FakeStore(), RANGES)
    with allocator.transaction(dry_run=False) as first:
        strategy.prepare_create(SERVICE, svc("a", clusterIP="10.0.0.50"), allocations=first)
        with pytest.raises(Invalid, match="already allocated"):
            create(allocator, svc("b", clusterIP="10.0.0.50"))
    assert create(allocator, svc("b", clusterIP="10.0.0.50"))["spec"]["clusterIP"] == "10.0.0.50"


def test_many_creates_never_share_a_value():
    store = FakeStore()
    allocator = services.ServiceAllocator(store, services.ServiceRanges.parse("10.0.0.0/27", "30000-30040"))
    ips, ports = set(), set()
    for index in range(29):  # a /27 has 30 usable addresses, one left for the apiserver's own Service
        spec = create(allocator, svc(f"s{index}", type="NodePort"), store=store)["spec"]
        ips.add(spec["clusterIP"])
        ports.add(spec["ports"][0]["nodePort"])
    assert len(ips) == len(ports) == 29
    with pytest.raises(InternalError, match="range is full"):
        create(allocator, svc("one-too-many"))


def test_the_index_starts_from_the_store_and_follows_deletions():
    existing = svc(
        "old",
        clusterIP="10.0.0.20",
        clusterIPs=["10.0.0.20"],
        type="NodePort",
        ports=[{"port": 80, "nodePort": 30500}],
    )
    store = FakeStore([existing])
    allocator = services.ServiceAllocator(store, RANGES)
    with pytest.raises(Invalid, match="already allocated"):
        create(allocator, svc("new", clusterIP="10.0.0.20"))
    store.commit(existing, "DELETED")
    assert create(
        allocator, svc("new", clusterIP="10.0.0.20", type="NodePort", ports=[{"port": 80, "nodePort": 30500}])
    )


# -- updates ---------------------------------------------------------------------------------------------


def test_an_update_that_omits_allocated_values_keeps_them():
    store = FakeStore()
    allocator = services.ServiceAllocator(store, RANGES)
    ports = [{"name": "web", "port": 80}]
    old = create(allocator, svc(type="LoadBalancer", externalTrafficPolicy="Local", ports=ports), store=store)
    new = update(
        allocator,
        old,
        svc(type="LoadBalancer", externalTrafficPolicy="Local", ports=ports, selector={"a": "b"}),
    )
    for field in ("clusterIP", "clusterIPs", "healthCheckNodePort"):
        assert new["spec"][field] == old["spec"][field]
    assert new["spec"]["ports"][0]["nodePort"] == old["spec"]["ports"][0]["nodePort"]


def test_the_cluster_ip_is_immutable():
    store = FakeStore()
    allocator = services.ServiceAllocator(store, RANGES)
    old = create(allocator, svc(clusterIP="10.0.0.30"), store=store)
    with pytest.raises(Invalid) as changed:
        update(allocator, old, svc(clusterIP="10.0.0.31"))
    assert causes(changed.value) == [
        ("spec.clusterIPs[0]", 'Invalid value: ["10.0.0.31"]: may not change once set')
    ]


def test_type_changes_allocate_and_release():
    store = FakeStore()
    allocator = services.ServiceAllocator(store, RANGES)
    cluster_ip = create(allocator, svc(), store=store)
    node_port = update(
        allocator, cluster_ip, {**cluster_ip, "spec": {**cluster_ip["spec"], "type": "NodePort"}}, store=store
    )
    port = node_port["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767 and node_port["spec"]["externalTrafficPolicy"] == "Cluster"
    assert allocator.port_taken(port, ("default", "other"))
    back = {**node_port, "spec": {**node_port["spec"], "type": "ClusterIP"}}
    back["spec"].pop("externalTrafficPolicy")
    cleared = update(allocator, node_port, back, store=store)
    assert "nodePort" not in cleared["spec"]["ports"][0]
    assert not allocator.port_taken(port, ("default", "other"))
    external = {
        **cleared,
        "spec": {"type": "ExternalName", "externalName": "db.example.com", "ports": [{"port": 80}]},
    }
    gone = update(allocator, cleared, external, store=store)
    assert "clusterIP" not in gone["spec"] and "ipFamilies" not in gone["spec"]
    assert not allocator.ip_taken(cluster_ip["spec"]["clusterIP"], ("default", "other"))


def test_a_service_stored_without_an_address_gets_one_on_its_next_update():
    store = FakeStore()
    allocator = services.ServiceAllocator(store, RANGES)
    legacy = services.defaulted_service(svc())
    updated = update(allocator, legacy, svc(selector={"app": "x"}), store=store)
    assert ipaddress.ip_address(updated["spec"]["clusterIP"]) in RANGES.cidr


def test_a_whole_object_written_back_keeps_its_values():
    """What controllers do with templates (claim labels through the store): the allocated values go along."""
    store = FakeStore()
    allocator = services.ServiceAllocator(store, RANGES)
    old = create(allocator, svc(type="NodePort"), store=store)
    relabelled = {**old, "metadata": {**old["metadata"], "labels": {"claimed": "yes"}}}
    assert update(allocator, old, relabelled)["spec"] == old["spec"]


# -- validation --------------------------------------------------------------------------------------------


def test_validation_speaks_kubes_words():
    with pytest.raises(Invalid) as node_port_on_cluster_ip:
        strategy.prepare_create(SERVICE, svc(ports=[{"port": 80, "nodePort": 30000}]))
    assert causes(node_port_on_cluster_ip.value) == [
        ("spec.ports[0].nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'")
    ]
    with pytest.raises(Invalid) as no_ports:
        strategy.prepare_create(SERVICE, svc(ports=[]))
    assert causes(no_ports.value) == [("spec.ports", "Required value")]
    with pytest.raises(Invalid) as bad_ip:
        strategy.prepare_create(SERVICE, svc(clusterIP="10.0.0.300"))
    assert causes(bad_ip.value) == [
        (
            "spec.clusterIPs[0]",
            'Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        )
    ]
    with pytest.raises(Invalid) as headless_node_port:
        strategy.prepare_create(SERVICE, svc(type="NodePort", clusterIP="None"))
    assert (
        "spec.clusterIPs[0]",
        "Invalid value: \"None\": may not be set to 'None' for NodePort services",
    ) in causes(headless_node_port.value)


def test_the_config_keys_default_to_karmadas_ranges_and_refuse_bad_ones():
    from karmadad.config import ConfigError, parse_config

    api = parse_config({}).api
    assert (api.serviceClusterIPRange, api.serviceNodePortRange) == ("10.96.0.0/12", "30000-32767")
    with pytest.raises(ConfigError) as v6:
        parse_config({"api": {"serviceClusterIPRange": "fd00::/108"}})
    assert v6.value.problems[0].startswith("api.serviceClusterIPRange: must be an IPv4 network")
    with pytest.raises(ConfigError) as ports:
        parse_config({"api": {"serviceNodePortRange": "32767-30000"}})
    assert ports.value.problems[0].startswith("api.serviceNodePortRange: must be first-last")
