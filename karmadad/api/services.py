"""Service clusterIPs and nodePorts, defaulted and allocated on the template as kube-apiserver does it.

Why: Karmada's karmada-apiserver is a kube-apiserver, so a Service created in Karmada gets a clusterIP from
its service range and nodePorts from its node port range at once. Karmada then propagates the template
without the clusterIP (its prune step; ``karmadad.interpreter.work``) but *with* the nodePorts, so every
member exposes the Service on the same node port. karmadad must allocate the same way or a NodePort Service
would get a different random port in each member.

The parts, in the order a write runs through them (as kube-apiserver's decode, ``BeginCreate`` /
``BeginUpdate`` and then its strategy's validation order them):

- :func:`defaulted_service`: the v1 defaults kube-apiserver applies while decoding (type, session affinity,
  protocol, targetPort, traffic policies, ``allocateLoadBalancerNodePorts``);
- :func:`admit_service`: keeps what an update left out (``patchAllocatedValues``), pairs ``clusterIP`` with
  ``clusterIPs``, settles ``ipFamilyPolicy`` / ``ipFamilies`` for this single-stack IPv4 plane, allocates
  through a :class:`Claims` (when there is one), and on updates clears what a type change no longer uses;
- :func:`service_causes`: kube-apiserver's Service validation that concerns these fields, in its words;
- :class:`ServiceAllocator`: who holds which clusterIP and nodePort — an index of the committed Services
  fed by the store's change feed, plus the values of writes still on their way to the store
  (:class:`AllocationTransaction`), so no two live Services ever share a value, also under concurrent
  writes.

Everything but the allocator is pure: objects in, new objects or causes out.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from karmadad.api.name_rules import DNS1123_LABEL, LABEL_FORMAT, MAX_NAMESPACE_NAME_LENGTH, subdomain_problems
from karmadad.errors import Cause, InternalError, Invalid

SERVICES = "services"  # the store's resource name
NONE = "None"  # a headless Service's clusterIP
CLUSTER_IP, NODE_PORT, LOAD_BALANCER, EXTERNAL_NAME = "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"
SERVICE_TYPES = (CLUSTER_IP, EXTERNAL_NAME, LOAD_BALANCER, NODE_PORT)  # sorted, as kube lists them
SINGLE_STACK, PREFER_DUAL_STACK, REQUIRE_DUAL_STACK = "SingleStack", "PreferDualStack", "RequireDualStack"
IP_FAMILY_POLICIES = (PREFER_DUAL_STACK, REQUIRE_DUAL_STACK, SINGLE_STACK)
IP_FAMILIES = ("IPv4", "IPv6")
PROTOCOLS = ("SCTP", "TCP", "UDP")
SESSION_AFFINITIES = ("ClientIP", "None")
TRAFFIC_POLICIES = ("Cluster", "Local")
DEFAULT_AFFINITY_TIMEOUT = 10800  # seconds: kube's ClientIP session affinity default
MAX_AFFINITY_TIMEOUT = 86400
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"  # what Karmada's installer gives karmada-apiserver
DEFAULT_NODE_PORT_RANGE = "30000-32767"  # kube-apiserver's default

Key = tuple[str, str]  # (namespace, name)


# -- ranges ------------------------------------------------------------------------------------------


def _band_offset(size: int, *, step: int, most: int) -> int:
    """Where the dynamically allocated band starts (KEP-3070 for IPs, KEP-3668 for node ports): values below
    it are left for explicit requests while the upper band has room. ``min(max(16, size/step), most)``,
    none at all for ranges of 16 or fewer."""
    if size <= 16:
        return 0
    return min(max(16, size // step), most)


@dataclass(frozen=True)
class ServiceRanges:
    """The service IP range (IPv4, single stack) and node port range Services are allocated from."""

    cidr: ipaddress.IPv4Network
    first_port: int
    last_port: int

    @classmethod
    def parse(
        cls, cidr: str = DEFAULT_SERVICE_CIDR, node_ports: str = DEFAULT_NODE_PORT_RANGE
    ) -> ServiceRanges:
        """From the config's texts (``10.96.0.0/12``, ``30000-32767``); ValueError when malformed."""
        network = ipaddress.ip_network(cidr, strict=True)
        if not isinstance(network, ipaddress.IPv4Network):
            raise ValueError("only an IPv4 service range is supported (single stack)")
        first, sep, last = node_ports.partition("-")
        if not sep or not first.strip().isdigit() or not last.strip().isdigit():
            raise ValueError(f"node port range {node_ports!r} is not first-last")
        return cls(network, int(first), int(last))

    # The network and broadcast addresses are never handed out.
    @property
    def first_ip(self) -> int:
        return int(self.cidr.network_address) + 1

    @property
    def last_ip(self) -> int:
        return int(self.cidr.broadcast_address) - 1

    @property
    def node_port_text(self) -> str:
        return f"{self.first_port}-{self.last_port}"

    def ip_bands(self) -> list[tuple[int, int]]:
        """Where dynamic clusterIPs come from, in order of preference: the upper band, then the lower one.
        The range's first address is left out: it is the apiserver's own ``kubernetes`` Service's in
        every Kubernetes cluster (and in Karmada's karmada-apiserver)."""
        offset = _band_offset(self.cidr.num_addresses, step=16, most=256)
        lowest = self.first_ip + 1
        upper_start = max(self.first_ip + offset, lowest)
        bands = [(upper_start, self.last_ip)]
        if upper_start > lowest:
            bands.append((lowest, upper_start - 1))
        return [(a, b) for a, b in bands if a <= b]

    def port_bands(self) -> list[tuple[int, int]]:
        """Where dynamic node ports come from, upper band first."""
        offset = _band_offset(self.last_port - self.first_port + 1, step=32, most=128)
        upper_start = self.first_port + offset
        bands = [(upper_start, self.last_port)]
        if offset:
            bands.append((self.first_port, upper_start - 1))
        return bands


def pick_free(
    bands: Iterable[tuple[int, int]], taken: Callable[[int], bool], rng: random.Random
) -> int | None:
    """A value not ``taken`` from the first band that has one, starting at a random place in the band and
    wrapping around (so a nearly empty range costs one or two lookups)."""
    for low, high in bands:
        size = high - low + 1
        start = rng.randrange(size)
        for step in range(size):
            value = low + (start + step) % size
            if not taken(value):
                return value
    return None


# -- small readers ---------------------------------------------------------------------------------


def _spec(svc: dict) -> dict:
    spec = svc.get("spec")
    return spec if isinstance(spec, dict) else {}


def _ports(spec: dict) -> list[dict]:
    ports = spec.get("ports")
    return [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _type(spec: dict) -> str:
    return spec.get("type") or ""


def _cluster_ips(spec: dict) -> list[str]:
    return _strings(spec.get("clusterIPs"))


def needs_cluster_ip(spec: dict) -> bool:
    """Every type but ExternalName has a clusterIP (``None`` counts as one)."""
    return _type(spec) != EXTERNAL_NAME


def needs_node_ports(spec: dict) -> bool:
    """NodePort Services, and LoadBalancers unless ``allocateLoadBalancerNodePorts`` is false."""
    kind = _type(spec)
    return kind == NODE_PORT or (
        kind == LOAD_BALANCER and spec.get("allocateLoadBalancerNodePorts") is not False
    )


def uses_node_ports(spec: dict) -> bool:
    """Types that may carry node ports at all."""
    return _type(spec) in (NODE_PORT, LOAD_BALANCER)


def needs_health_check_port(spec: dict) -> bool:
    """A LoadBalancer with ``externalTrafficPolicy: Local`` gets a health check node port."""
    return _type(spec) == LOAD_BALANCER and spec.get("externalTrafficPolicy") == "Local"


def is_headless(spec: dict) -> bool:
    ips = _cluster_ips(spec)
    return (ips[0] if ips else spec.get("clusterIP")) == NONE


def _externally_accessible(spec: dict) -> bool:
    kind = _type(spec)
    return kind in (NODE_PORT, LOAD_BALANCER) or (kind == CLUSTER_IP and bool(spec.get("externalIPs")))


def node_ports_of(spec: dict) -> list[int]:
    return [port for p in _ports(spec) if (port := _int(p.get("nodePort")))]


@dataclass(frozen=True)
class Held:
    """The allocated values one stored Service holds."""

    ips: frozenset[str] = frozenset()
    ports: frozenset[int] = frozenset()


def held_by(svc: dict) -> Held:
    """What a stored Service holds: its clusterIPs (not ``None``), its nodePorts and health check port."""
    spec = _spec(svc)
    ips = frozenset(ip for ip in (_cluster_ips(spec) or [spec.get("clusterIP") or ""]) if ip and ip != NONE)
    ports = set(node_ports_of(spec))
    if health := _int(spec.get("healthCheckNodePort")):
        ports.add(health)
    return Held(ips if needs_cluster_ip(spec) else frozenset(), frozenset(ports))


# -- defaults (decoding) -----------------------------------------------------------------------------


def defaulted_service(svc: dict) -> dict:
    """``svc`` with the defaults kube-apiserver's v1 decoding gives a Service (a new dict): type
    ClusterIP, sessionAffinity None (no affinity config then; a ClientIP one gets a 3 h timeout),
    ports TCP with targetPort = port, externalTrafficPolicy Cluster where traffic comes from outside,
    internalTrafficPolicy Cluster for the types that proxy, allocateLoadBalancerNodePorts for
    LoadBalancers."""
    spec = svc.get("spec")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        return dict(svc)
    spec = dict(spec)
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.get("sessionAffinityConfig")
        client = config.get("clientIP") if isinstance(config, dict) else None
        if not isinstance(client, dict) or client.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": DEFAULT_AFFINITY_TIMEOUT}}
    if not spec.get("type"):
        spec["type"] = CLUSTER_IP
    if isinstance(spec.get("ports"), list):
        ports = []
        for port in spec["ports"]:
            if isinstance(port, dict):
                port = dict(port)
                if not port.get("protocol"):
                    port["protocol"] = "TCP"
                if port.get("targetPort") in (None, 0, ""):
                    port["targetPort"] = port.get("port", 0)
            ports.append(port)
        spec["ports"] = ports
    if _externally_accessible(spec) and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and spec["type"] in (CLUSTER_IP, NODE_PORT, LOAD_BALANCER):
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] == LOAD_BALANCER and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True
    return {**svc, "spec": spec}


def _with_own_spec(svc: dict) -> dict:
    """A copy of ``svc`` whose spec and ports may be changed (all that the steps here change)."""
    spec = dict(svc["spec"])
    if isinstance(spec.get("ports"), list):
        spec["ports"] = [dict(p) if isinstance(p, dict) else p for p in spec["ports"]]
    return {**svc, "spec": spec}


def defaulted_on_read(svc: dict) -> dict:
    """A stored Service as kube-apiserver reads it back before an update: ``clusterIPs`` paired with
    ``clusterIP``, and the IP family fields of Services stored before they existed (karmadad stored
    Services without them before it allocated)."""
    svc = _with_own_spec(svc) if isinstance(svc.get("spec"), dict) else {**svc, "spec": {}}
    spec = svc["spec"]
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    if not needs_cluster_ip(spec) or spec.get("ipFamilies"):
        return svc
    if spec.get("clusterIP") == NONE:
        headless_any = not spec.get("selector")
        spec["ipFamilyPolicy"] = REQUIRE_DUAL_STACK if headless_any else SINGLE_STACK
        spec["ipFamilies"] = ["IPv4", "IPv6"] if headless_any else ["IPv4"]
    elif ips := _cluster_ips(spec):
        spec["ipFamilies"] = ["IPv6" if ":" in ip else "IPv4" for ip in ips]
        if len(ips) == 1:
            spec["ipFamilyPolicy"] = SINGLE_STACK
    return svc


# -- decisions before allocating ------------------------------------------------------------------------


def patch_allocated_values(new: dict, old: dict) -> None:
    """Fill in ``new`` what an update left out but ``old`` had allocated (kube's ``patchAllocatedValues``):
    the clusterIP(s) when both need one; node ports by port name when both need node ports (unless that
    port number is in use by another of the new ports); the health check port when both need one.
    So ``kubectl apply`` of a manifest without these fields keeps them."""
    new_spec, old_spec = _spec(new), _spec(old)
    if needs_cluster_ip(old_spec) and needs_cluster_ip(new_spec):
        if not new_spec.get("clusterIP") and old_spec.get("clusterIP"):
            new_spec["clusterIP"] = old_spec["clusterIP"]
        if not new_spec.get("clusterIPs") and _cluster_ips(old_spec):
            new_spec["clusterIPs"] = list(_cluster_ips(old_spec))
    if needs_node_ports(old_spec) and needs_node_ports(new_spec):
        in_use = set(node_ports_of(old_spec)) & set(node_ports_of(new_spec))
        by_name = {p.get("name") or "": _int(p.get("nodePort")) for p in _ports(old_spec)}
        for port in _ports(new_spec):
            if not _int(port.get("nodePort")):
                old_value = by_name.get(port.get("name") or "", 0)
                if old_value and old_value not in in_use:
                    port["nodePort"] = old_value
    if needs_health_check_port(old_spec) and needs_health_check_port(new_spec):
        if not _int(new_spec.get("healthCheckNodePort")) and _int(old_spec.get("healthCheckNodePort")):
            new_spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]


def normalize_cluster_ips(new: dict, old: dict | None) -> None:
    """Pair ``clusterIP`` and ``clusterIPs`` as kube-apiserver infers them from clients that set only the
    singular field (older clients) or clear only one of them."""
    spec = _spec(new)
    single, plural = spec.get("clusterIP") or "", _cluster_ips(spec)
    if old is None:
        if single and not plural:
            spec["clusterIPs"] = [single]
        return
    old_spec = _spec(old)
    old_single, old_plural = old_spec.get("clusterIP") or "", _cluster_ips(old_spec)
    if old_plural and not plural and old_single == single:
        spec["clusterIPs"] = plural = list(old_plural)
    if old_single != single:
        same_plural = plural == old_plural
        if old_single and not single:
            if same_plural:
                spec.pop("clusterIPs", None)
        elif same_plural:
            spec["clusterIPs"] = [single]


def _policy_invalid(spec: dict, detail: str) -> Cause:
    return _invalid("spec.ipFamilyPolicy", spec.get("ipFamilyPolicy"), detail)


def settle_ip_families(new: dict, old: dict | None) -> None:
    """``ipFamilyPolicy`` and ``ipFamilies`` for this single-stack IPv4 plane, or Invalid with kube's
    words for what only a dual-stack cluster could do (kube's ``initIPFamilyFields``)."""
    spec = _spec(new)
    if _type(spec) == EXTERNAL_NAME:
        return
    old_spec = _spec(old) if old is not None else None
    if (
        old_spec is not None
        and spec.get("ipFamilyPolicy") == PREFER_DUAL_STACK
        and old_spec.get("ipFamilyPolicy") == PREFER_DUAL_STACK
        and _type(old_spec) == _type(spec)
        and _cluster_ips(old_spec) == _cluster_ips(spec)
        and old_spec.get("ipFamilies") == spec.get("ipFamilies")
    ):
        return
    if spec.get("ipFamilyPolicy") is None:
        if old_spec is not None and old_spec.get("ipFamilyPolicy") is not None:
            spec["ipFamilyPolicy"] = old_spec["ipFamilyPolicy"]
        elif spec.get("clusterIP") == NONE and not spec.get("selector"):
            spec["ipFamilyPolicy"] = REQUIRE_DUAL_STACK
        else:
            spec["ipFamilyPolicy"] = SINGLE_STACK
    if causes := cluster_ip_causes(new, old):
        raise _invalid_service(new, causes)
    causes = []
    families = spec.get("ipFamilies")
    if not isinstance(families, list):
        families = []
    ips = _cluster_ips(spec)
    if old_spec is not None:
        if spec["ipFamilyPolicy"] == SINGLE_STACK:
            if ips == _cluster_ips(old_spec) and len(ips) > 1:
                spec["clusterIPs"] = ips = ips[:1]
            if families == (old_spec.get("ipFamilies") or []) and len(families) > 1:
                spec["ipFamilies"] = families = families[:1]
        else:
            if ips and len(ips) < len(_cluster_ips(old_spec)):
                causes.append(
                    _policy_invalid(spec, "must be 'SingleStack' to release the secondary cluster IP")
                )
            old_families = old_spec.get("ipFamilies") or []
            if families and len(families) < len(old_families):
                causes.append(
                    _policy_invalid(spec, "must be 'SingleStack' to release the secondary IP family")
                )
    if spec["ipFamilyPolicy"] == SINGLE_STACK:
        if len(ips) == 2:
            detail = "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"
            causes.append(_policy_invalid(spec, detail))
        if len(families) == 2:
            detail = "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"
            causes.append(_policy_invalid(spec, detail))
    families = list(families)
    for index, ip in enumerate(ips):
        if ip == NONE:
            break
        if index >= len(families):
            family = "IPv6" if ":" in ip else "IPv4"
            if family != "IPv4":
                causes.append(
                    _invalid(f"spec.clusterIPs[{index}]", ips, f"{family} is not configured on this cluster")
                )
            else:
                families.append(family)
    if causes:
        raise _invalid_service(new, causes)
    if spec.get("clusterIP") == NONE and not spec.get("selector"):
        # headless without a selector may name both families even on a single-stack cluster
        families = families or ["IPv4"]
        if len(families) < 2 and spec["ipFamilyPolicy"] != SINGLE_STACK:
            families.append("IPv6" if families[0] == "IPv4" else "IPv4")
        spec["ipFamilies"] = families
        return
    if spec["ipFamilyPolicy"] == REQUIRE_DUAL_STACK:
        causes.append(_policy_invalid(spec, "this cluster is not configured for dual-stack services"))
    causes.extend(
        _invalid(f"spec.ipFamilies[{index}]", family, "not configured on this cluster")
        for index, family in enumerate(families)
        if family != "IPv4"
    )
    if causes:
        raise _invalid_service(new, causes)
    spec["ipFamilies"] = families or ["IPv4"]


# -- allocation ----------------------------------------------------------------------------------------


class Claims(Protocol):
    """What allocating needs from whoever knows which values are free: claim a requested value (None, or
    kube's reason it cannot be had) or take a free one (None when the range is full). A claim lasts for
    the request; values the Service already holds are claimable by it again."""

    def claim_ip(self, ip: str) -> str | None: ...
    def next_ip(self) -> str | None: ...
    def claim_port(self, port: int) -> str | None: ...
    def next_port(self) -> int | None: ...


def _name(svc: dict) -> str:
    meta = svc.get("metadata")
    return (meta.get("name") or "") if isinstance(meta, dict) else ""


def _allocate_cluster_ip(svc: dict, claims: Claims) -> None:
    spec = _spec(svc)
    if not needs_cluster_ip(spec) or is_headless(spec):
        return
    ips = _cluster_ips(spec)
    wanted = ips[0] if ips else ""
    if wanted:
        if problem := claims.claim_ip(wanted):
            raise _invalid_service(
                svc, [_invalid("spec.clusterIPs", ips, f"failed to allocate IP {wanted}: {problem}")]
            )
        ip = wanted
    else:
        found = claims.next_ip()
        if found is None:
            raise InternalError(
                f'Internal error occurred: failed to allocate a serviceIP for Service "{_name(svc)}": range is full'
            )
        ip = found
    spec["clusterIP"] = ip
    spec["clusterIPs"] = [ip, *ips[1:]]


def _next_port(claims: Claims) -> int:
    port = claims.next_port()
    if port is None:
        raise InternalError("Internal error occurred: failed to allocate a nodePort: range is full")
    return port


def _claim_node_port(svc: dict, index: int, port: int, claims: Claims) -> None:
    if problem := claims.claim_port(port):
        raise _invalid_service(svc, [_invalid(f"spec.ports[{index}].nodePort", port, problem)])


def _allocate_node_ports_on_create(svc: dict, claims: Claims) -> None:
    """New node ports: requested ones claimed, missing ones taken; ports sharing a port number (TCP and
    UDP 53) share a node port, as kube-apiserver gives them."""
    spec = _spec(svc)
    if not uses_node_ports(spec):
        return
    ports = _ports(spec)
    by_port_number: dict[int, int] = {}
    allocate = needs_node_ports(spec)
    for index, port in enumerate(ports):
        node_port = _int(port.get("nodePort"))
        if not node_port and not allocate:
            continue
        number = _int(port.get("port"))
        given = by_port_number.get(number, 0)
        if not given:
            requested = next(
                (
                    _int(p.get("nodePort"))
                    for p in ports
                    if _int(p.get("port")) == number and _int(p.get("nodePort"))
                ),
                0,
            )
            if requested:
                _claim_node_port(svc, index, requested, claims)
                port["nodePort"] = by_port_number[number] = requested
            else:
                port["nodePort"] = by_port_number[number] = _next_port(claims)
        elif node_port != given:
            if not node_port:
                port["nodePort"] = given
            else:
                _claim_node_port(svc, index, node_port, claims)


def _allocate_node_ports_on_update(svc: dict, old: dict, claims: Claims) -> None:
    spec = _spec(svc)
    if not uses_node_ports(spec):
        return
    held = set(node_ports_of(_spec(old)))
    claimed: set[int] = set()
    seen: set[tuple[str, int]] = set()
    allocate = needs_node_ports(spec)
    for index, port in enumerate(_ports(spec)):
        node_port = _int(port.get("nodePort"))
        if not node_port and not allocate:
            continue
        if node_port:
            if node_port not in held and node_port not in claimed:
                _claim_node_port(svc, index, node_port, claims)
                claimed.add(node_port)
        else:
            node_port = port["nodePort"] = _next_port(claims)
        key = (port.get("protocol") or "", node_port)
        if key in seen:
            raise InternalError(f"Internal error occurred: duplicate nodePort: {{{key[0]} {key[1]}}}")
        seen.add(key)


def _allocate_health_check_port(svc: dict, claims: Claims) -> None:
    spec = _spec(svc)
    wanted = _int(spec.get("healthCheckNodePort"))
    if wanted:
        if problem := claims.claim_port(wanted):
            raise InternalError(
                f"Internal error occurred: failed to allocate requested HealthCheck NodePort {wanted}: {problem}"
            )
        return
    port = claims.next_port()
    if port is None:
        raise InternalError(
            "Internal error occurred: failed to allocate a HealthCheck NodePort 0: range is full"
        )
    spec["healthCheckNodePort"] = port


def allocate(svc: dict, old: dict | None, claims: Claims) -> None:
    """Give ``svc`` (changed in place) the clusterIP, node ports and health check port its type needs.

    On an update only what is new is claimed: a clusterIP when the old Service had none (it was an
    ExternalName, or stored before karmadad allocated), node ports the old one did not hold, a health
    check port when it becomes needed. A changed clusterIP is left for validation to refuse (immutable).
    """
    if old is None:
        _allocate_cluster_ip(svc, claims)
        _allocate_node_ports_on_create(svc, claims)
        if needs_health_check_port(_spec(svc)):
            _allocate_health_check_port(svc, claims)
        return
    old_spec = _spec(old)
    if not needs_cluster_ip(old_spec) or not (_cluster_ips(old_spec) or old_spec.get("clusterIP")):
        _allocate_cluster_ip(svc, claims)
    spec = _spec(svc)
    if uses_node_ports(spec):
        _allocate_node_ports_on_update(svc, old, claims)
    if not needs_health_check_port(old_spec) and needs_health_check_port(spec):
        _allocate_health_check_port(svc, claims)


def drop_type_dependent_fields(new: dict, old: dict) -> None:
    """On a type change, clear what the new type does not use and the user did not touch (it is
    released when the update commits): clusterIP(s) and IP families leaving for ExternalName, node ports
    leaving NodePort/LoadBalancer, the health check port, ``allocateLoadBalancerNodePorts``, the load
    balancer class, ``externalTrafficPolicy`` once no traffic comes from outside."""
    spec, old_spec = _spec(new), _spec(old)
    if needs_cluster_ip(old_spec) and not needs_cluster_ip(spec):
        if (old_spec.get("clusterIP") or "") == (spec.get("clusterIP") or "") and _cluster_ips(
            old_spec
        ) == _cluster_ips(spec):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        if (old_spec.get("ipFamilies") or []) == (spec.get("ipFamilies") or []):
            spec.pop("ipFamilies", None)
        if old_spec.get("ipFamilyPolicy") == spec.get("ipFamilyPolicy"):
            spec.pop("ipFamilyPolicy", None)
    if (
        needs_node_ports(old_spec)
        and not needs_node_ports(spec)
        and set(node_ports_of(spec)) <= set(node_ports_of(old_spec))
    ):
        for port in _ports(spec):
            port.pop("nodePort", None)
    if (
        needs_health_check_port(old_spec)
        and not needs_health_check_port(spec)
        and _int(old_spec.get("healthCheckNodePort")) == _int(spec.get("healthCheckNodePort"))
    ):
        spec.pop("healthCheckNodePort", None)
    if _type(old_spec) == LOAD_BALANCER and _type(spec) != LOAD_BALANCER:
        allocate_ports = spec.get("allocateLoadBalancerNodePorts")
        if allocate_ports is not None and allocate_ports == old_spec.get("allocateLoadBalancerNodePorts"):
            spec.pop("allocateLoadBalancerNodePorts", None)
    if _type(old_spec) == LOAD_BALANCER and _type(spec) != LOAD_BALANCER:
        if spec.get("loadBalancerClass") == old_spec.get("loadBalancerClass"):
            spec.pop("loadBalancerClass", None)
    if (
        _externally_accessible(old_spec)
        and not _externally_accessible(spec)
        and spec.get("externalTrafficPolicy") == old_spec.get("externalTrafficPolicy")
    ):
        spec.pop("externalTrafficPolicy", None)


def admit_service(svc: dict, old: dict | None, claims: Claims | None) -> dict:
    """The Service to validate and store for a create (``old`` None) or an update: a new dict; Invalid
    (or InternalError for a full range) when its IP fields or allocations cannot be had. Without
    ``claims`` nothing is allocated (the rest still applies)."""
    if not isinstance(svc.get("spec"), dict):
        return dict(svc)
    svc = _with_own_spec(svc)
    old = defaulted_on_read(old) if old is not None else None
    if old is not None:
        patch_allocated_values(svc, old)
    normalize_cluster_ips(svc, old)
    settle_ip_families(svc, old)
    if claims is not None:
        allocate(svc, old, claims)
    if old is not None:
        drop_type_dependent_fields(svc, old)
    if _type(svc["spec"]) == EXTERNAL_NAME:
        # kube-apiserver keeps it but never shows it on an ExternalName (it proxies nothing): stored so
        svc["spec"].pop("internalTrafficPolicy", None)
    return svc


# -- validation ------------------------------------------------------------------------------------------


def _shown(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"))


def _invalid(path: str, value: object, detail: str) -> Cause:
    return Cause(path, f"Invalid value: {_shown(value)}: {detail}")


def _required(path: str, detail: str = "") -> Cause:
    return Cause(path, "Required value" + (f": {detail}" if detail else ""), "FieldValueRequired")


def _forbidden(path: str, detail: str) -> Cause:
    return Cause(path, f"Forbidden: {detail}", "FieldValueForbidden")


def _unsupported(path: str, value: object, supported: tuple[str, ...]) -> Cause:
    listed = ", ".join(f'"{v}"' for v in supported)
    return Cause(
        path, f"Unsupported value: {_shown(value)}: supported values: {listed}", "FieldValueNotSupported"
    )


def _duplicate(path: str, value: object) -> Cause:
    return Cause(path, f"Duplicate value: {_shown(value)}", "FieldValueDuplicate")


def _invalid_service(svc: dict, causes: list[Cause]) -> Invalid:
    return Invalid.of("Service", "", _name(svc), causes)


_PORT_RANGE = "must be between 1 and 65535, inclusive"
_LEADING_ZEROS = re.compile(r"^(\d+)\.(\d+)\.(\d+)\.(\d+)$")


def ip_problems(value: str) -> list[str]:
    """Why ``value`` is no IP address as kube-apiserver's strict check of legacy IP fields says it."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        found = _LEADING_ZEROS.match(value)
        if found and all(int(octet) <= 255 for octet in found.groups()):
            return ["must not have leading 0s"]
        return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return ["must not be an IPv4-mapped IPv6 address"]
    return []


def cluster_ip_causes(svc: dict, old: dict | None) -> list[Cause]:
    """kube's ``ValidateServiceClusterIPsRelatedFields``: clusterIP and clusterIPs agree, valid IPs (one
    per family, ``None`` alone), known families and policy."""
    spec = _spec(svc)
    if _type(spec) == EXTERNAL_NAME:
        return []
    causes: list[Cause] = []
    single, ips = spec.get("clusterIP") or "", _cluster_ips(spec)
    if single:
        if not ips:
            causes.append(_required("spec.clusterIPs"))
        elif ips[0] != single:
            causes.append(_invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"))
    elif ips:
        causes.append(_invalid("spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified"))
    families = spec.get("ipFamilies")
    if not isinstance(families, list):
        families = []
    seen: set[object] = set()
    for index, family in enumerate(families):
        if family not in IP_FAMILIES:
            causes.append(_unsupported(f"spec.ipFamilies[{index}]", family, IP_FAMILIES))
        if family in seen:
            causes.append(_duplicate(f"spec.ipFamilies[{index}]", family))
        seen.add(family)
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in IP_FAMILY_POLICIES:
        causes.append(_unsupported("spec.ipFamilyPolicy", policy, IP_FAMILY_POLICIES))
    existing = _cluster_ips(_spec(old)) if old is not None else []
    bad_ips = False
    for index, ip in enumerate(ips):
        if index == 0 and ip == NONE:
            if len(ips) > 1:
                bad_ips = True
                causes.append(_invalid("spec.clusterIPs", ips, "'None' must be the first and only value"))
            continue
        if ip in existing:
            continue
        for problem in ip_problems(ip):
            bad_ips = True
            causes.append(_invalid(f"spec.clusterIPs[{index}]", ip, problem))
    if len(ips) > 2:
        causes.append(_invalid("spec.clusterIPs", ips, "may only hold up to 2 values"))
    if bad_ips:
        return causes
    if len(ips) > 1 and len({":" in ip for ip in ips}) != 2:
        causes.append(_invalid("spec.clusterIPs", ips, "may specify no more than one IP for each IP family"))
    if ips and families and not is_headless(spec):
        for index, (ip, family) in enumerate(zip(ips, families, strict=False)):
            if family == "IPv4" and ":" in ip:
                causes.append(
                    _invalid(
                        f"spec.clusterIPs[{index}]",
                        ip,
                        f"expected an IPv4 value as indicated by `ipFamilies[{index}]`",
                    )
                )
            if family == "IPv6" and ":" not in ip:
                causes.append(
                    _invalid(
                        f"spec.clusterIPs[{index}]",
                        ip,
                        f"expected an IPv6 value as indicated by `ipFamilies[{index}]`",
                    )
                )
    return causes


def _port_causes(port: dict, index: int, require_name: bool, names: set[str]) -> list[Cause]:
    path = f"spec.ports[{index}]"
    causes: list[Cause] = []
    name = port.get("name") or ""
    if require_name and not name:
        causes.append(_required(f"{path}.name"))
    elif name:
        if len(name) > MAX_NAMESPACE_NAME_LENGTH:
            causes.append(
                _invalid(f"{path}.name", name, f"must be no more than {MAX_NAMESPACE_NAME_LENGTH} characters")
            )
        if not DNS1123_LABEL.fullmatch(name):
            causes.append(_invalid(f"{path}.name", name, LABEL_FORMAT))
        if name in names:
            causes.append(_duplicate(f"{path}.name", name))
        names.add(name)
    number = _int(port.get("port"))
    if not 1 <= number <= 65535:
        causes.append(_invalid(f"{path}.port", number, _PORT_RANGE))
    protocol = port.get("protocol") or ""
    if not protocol:
        causes.append(_required(f"{path}.protocol"))
    elif protocol not in PROTOCOLS:
        causes.append(_unsupported(f"{path}.protocol", protocol, PROTOCOLS))
    target = port.get("targetPort")
    if isinstance(target, int) and not isinstance(target, bool) and not 1 <= target <= 65535:
        causes.append(_invalid(f"{path}.targetPort", target, _PORT_RANGE))
    return causes


def _go_service_port(protocol: str, number: int) -> str:
    """How kube-apiserver prints the (protocol, port) key of a duplicated Service port."""
    return (
        f'{{"Name":"","Protocol":"{protocol}","AppProtocol":null,"Port":{number},'
        '"TargetPort":0,"NodePort":0}'
    )


def service_causes(svc: dict, old: dict | None) -> list[Cause]:
    """The Service rules of kube-apiserver's validation that karmadad checks, in its words: ports
    (names, numbers, protocols, duplicates), type-dependent fields (headless and ExternalName,
    nodePorts only where node ports are, the traffic policies and health check port), session
    affinity, the clusterIP fields, and on updates the immutable clusterIPs, IP families and health
    check port."""
    spec = _spec(svc)
    causes: list[Cause] = []
    kind = _type(spec)
    headless = is_headless(spec)
    ips = _cluster_ips(spec)
    if old is not None:
        causes.extend(_update_causes(spec, _spec(old)))
    ports = _ports(spec)
    if not ports and not headless and kind != EXTERNAL_NAME:
        causes.append(_required("spec.ports"))
    if kind in (LOAD_BALANCER, NODE_PORT) and headless:
        causes.append(
            _invalid(
                "spec.clusterIPs[0]", ips[0] if ips else NONE, f"may not be set to 'None' for {kind} services"
            )
        )
    if kind == EXTERNAL_NAME:
        if ips:
            causes.append(_forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        if spec.get("ipFamilies"):
            causes.append(_forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            causes.append(_forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
        name = (spec.get("externalName") or "").removesuffix(".")
        if not name:
            causes.append(_required("spec.externalName"))
        else:
            causes.extend(_invalid("spec.externalName", name, p) for p in subdomain_problems(name))
    names: set[str] = set()
    for index, port in enumerate(ports):
        causes.extend(_port_causes(port, index, len(ports) > 1, names))
    affinity = spec.get("sessionAffinity") or ""
    if not affinity:
        causes.append(_required("spec.sessionAffinity"))
    elif affinity not in SESSION_AFFINITIES:
        causes.append(_unsupported("spec.sessionAffinity", affinity, SESSION_AFFINITIES))
    elif affinity == "ClientIP":
        timeout = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get("timeoutSeconds")
        if isinstance(timeout, int) and not 0 < timeout <= MAX_AFFINITY_TIMEOUT:
            path = "spec.sessionAffinityConfig.clientIP.timeoutSeconds"
            causes.append(
                _invalid(path, timeout, f"must be greater than 0 and less than {MAX_AFFINITY_TIMEOUT}s")
            )
    elif spec.get("sessionAffinityConfig") is not None:
        causes.append(
            _forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None")
        )
    causes.extend(cluster_ip_causes(svc, old))
    if not kind:
        causes.append(_required("spec.type"))
    elif kind not in SERVICE_TYPES:
        causes.append(_unsupported("spec.type", kind, SERVICE_TYPES))
    if kind == CLUSTER_IP:
        causes.extend(
            _forbidden(f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'")
            for i, port in enumerate(ports)
            if _int(port.get("nodePort"))
        )
    seen_node_ports: set[tuple[str, int]] = set()
    seen_ports: set[tuple[str, int]] = set()
    for index, port in enumerate(ports):
        protocol = port.get("protocol") or ""
        if node_port := _int(port.get("nodePort")):
            if (protocol, node_port) in seen_node_ports:
                causes.append(_duplicate(f"spec.ports[{index}].nodePort", node_port))
            seen_node_ports.add((protocol, node_port))
    for index, port in enumerate(ports):
        key = (port.get("protocol") or "", _int(port.get("port")))
        if key in seen_ports:
            causes.append(
                Cause(
                    f"spec.ports[{index}]",
                    f"Duplicate value: {_go_service_port(*key)}",
                    "FieldValueDuplicate",
                )
            )
        seen_ports.add(key)
    if spec.get("allocateLoadBalancerNodePorts") is not None and kind != LOAD_BALANCER:
        causes.append(
            _forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'")
        )
    causes.extend(_traffic_causes(spec))
    return causes


def _traffic_causes(spec: dict) -> list[Cause]:
    causes: list[Cause] = []
    external = spec.get("externalTrafficPolicy") or ""
    if not _externally_accessible(spec):
        if external:
            causes.append(
                _invalid(
                    "spec.externalTrafficPolicy",
                    external,
                    "may only be set for externally-accessible services",
                )
            )
    elif not external:
        causes.append(_required("spec.externalTrafficPolicy"))
    elif external not in TRAFFIC_POLICIES:
        causes.append(_unsupported("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES))
    health = _int(spec.get("healthCheckNodePort"))
    if not needs_health_check_port(spec):
        if health:
            detail = "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"
            causes.append(_invalid("spec.healthCheckNodePort", health, detail))
    elif not health:
        causes.append(_required("spec.healthCheckNodePort"))
    elif not 1 <= health <= 65535:
        causes.append(_invalid("spec.healthCheckNodePort", health, _PORT_RANGE))
    internal = spec.get("internalTrafficPolicy")
    if internal is None and _type(spec) in (CLUSTER_IP, NODE_PORT, LOAD_BALANCER):
        causes.append(_required("spec.internalTrafficPolicy"))
    elif internal is not None and internal not in TRAFFIC_POLICIES:
        causes.append(_unsupported("spec.internalTrafficPolicy", internal, TRAFFIC_POLICIES))
    return causes


def _update_causes(spec: dict, old_spec: dict) -> list[Cause]:
    """The clusterIPs and IP families a Service keeps for life (unless it is or becomes an ExternalName),
    and the health check port while one is needed."""
    causes: list[Cause] = []
    if EXTERNAL_NAME not in (_type(spec), _type(old_spec)):
        ips, old_ips = _cluster_ips(spec), _cluster_ips(old_spec)
        if not (is_headless(spec) and is_headless(old_spec)):
            if len(ips) == len(old_ips):
                causes.extend(
                    _invalid(f"spec.clusterIPs[{i}]", ips, "may not change once set")
                    for i, ip in enumerate(old_ips)
                    if ip != ips[i]
                )
            elif len(ips) < len(old_ips):
                if not ips:
                    causes.append(_invalid("spec.clusterIPs[0]", ips, "primary clusterIP can not be unset"))
                elif ips[0] != old_ips[0]:
                    causes.append(_invalid("spec.clusterIPs[0]", ips, "may not change once set"))
                if len(ips) == 1 and spec.get("ipFamilyPolicy") != SINGLE_STACK:
                    detail = "must be set to 'SingleStack' when releasing the secondary clusterIP"
                    causes.append(_invalid("spec.ipFamilyPolicy", spec.get("ipFamilyPolicy"), detail))
            elif old_ips and ips[0] != old_ips[0]:
                causes.append(_invalid("spec.clusterIPs[0]", ips, "may not change once set"))
        if is_headless(spec) == is_headless(old_spec) and not is_headless(spec):
            families, old_families = spec.get("ipFamilies") or [], old_spec.get("ipFamilies") or []
            if len(families) == len(old_families):
                causes.extend(
                    _invalid("spec.ipFamilies[0]", families, "may not change once set")
                    for i, family in enumerate(old_families)
                    if family != families[i]
                )
    if needs_health_check_port(spec) and needs_health_check_port(old_spec):
        if _int(spec.get("healthCheckNodePort")) != _int(old_spec.get("healthCheckNodePort")):
            causes.append(_forbidden("spec.healthCheckNodePort", "field is immutable"))
    return causes


# -- the allocator -------------------------------------------------------------------------------------------


def _taken_by_another(value: object, key: Key, owners: dict, pending: _Pending) -> bool:
    """Whether a committed Service other than ``key`` holds ``value``, or a write in flight claims it."""
    held, claimed = owners.get(value), pending.owner(value)
    return (held is not None and held != key) or (claimed is not None and claimed != key)


class ServiceSource(Protocol):
    """What the allocator needs from the store: the committed Services, and their committed changes."""

    def list_all(self, resource: str) -> list[dict]: ...
    def subscribe_index(self, listener: Callable[[object], None], *, resources: Iterable[str]) -> None: ...


@dataclass
class _Pending:
    """Values claimed by writes not yet committed: value -> (owner, how many writes claim it)."""

    owners: dict[object, tuple[Key, int]] = field(default_factory=dict)

    def owner(self, value: object) -> Key | None:
        found = self.owners.get(value)
        return found[0] if found else None

    def add(self, value: object, key: Key) -> None:
        owner, count = self.owners.get(value, (key, 0))
        self.owners[value] = (owner, count + 1)

    def remove(self, value: object) -> None:
        owner, count = self.owners[value]
        if count <= 1:
            del self.owners[value]
        else:
            self.owners[value] = (owner, count - 1)


class ServiceAllocator:
    """Who holds which clusterIP and node port: the committed Services (indexed once, then kept by the
    store's change feed — no scan per write), plus the claims of writes on their way to the store.

    A write claims through an :class:`AllocationTransaction` (:meth:`transaction`) that lives until
    the store has answered: by then a committed write is in the index (the store calls its listeners
    before it acknowledges), and a failed one never was, so the claims can go. Claiming and checking are
    synchronous, so two concurrent creates never take the same value.
    """

    def __init__(self, store: ServiceSource, ranges: ServiceRanges, *, rng: random.Random | None = None):
        self.ranges = ranges
        self._rng = rng or random.Random()
        self._ip_owner: dict[str, Key] = {}
        self._port_owner: dict[int, Key] = {}
        self._held: dict[Key, Held] = {}
        self._pending_ips = _Pending()
        self._pending_ports = _Pending()
        for svc in store.list_all(SERVICES):
            meta = svc.get("metadata") or {}
            self._hold((meta.get("namespace") or "", meta.get("name") or ""), held_by(svc))
        store.subscribe_index(self._on_change, resources=(SERVICES,))

    def _on_change(self, change) -> None:  # a store Change of a Service
        key = change.key
        self._release(key)
        if change.type != "DELETED":
            self._hold(key, held_by(change.object))

    def _hold(self, key: Key, held: Held) -> None:
        if not held.ips and not held.ports:
            return
        self._held[key] = held
        for ip in held.ips:
            self._ip_owner.setdefault(ip, key)
        for port in held.ports:
            self._port_owner.setdefault(port, key)

    def _release(self, key: Key) -> None:
        held = self._held.pop(key, None)
        if held is None:
            return
        for ip in held.ips:
            if self._ip_owner.get(ip) == key:
                del self._ip_owner[ip]
        for port in held.ports:
            if self._port_owner.get(port) == key:
                del self._port_owner[port]

    def ip_taken(self, ip: str, key: Key) -> bool:
        """Held or claimed by another Service than ``key``."""
        return _taken_by_another(ip, key, self._ip_owner, self._pending_ips)

    def port_taken(self, port: int, key: Key) -> bool:
        """Held or claimed by another Service than ``key``."""
        return _taken_by_another(port, key, self._port_owner, self._pending_ports)

    def held(self, key: Key) -> Held:
        return self._held.get(key, Held())

    def transaction(self, *, dry_run: bool) -> AllocationTransaction:
        return AllocationTransaction(self, dry_run=dry_run)


class AllocationTransaction:
    """The claims of one write (create, update, patch or apply): a :class:`Claims` for
    :func:`admit_service`, and a context manager that drops the claims once the store has answered.
    A dry run checks and picks values like a real write but claims nothing."""

    def __init__(self, allocator: ServiceAllocator, *, dry_run: bool):
        self._allocator = allocator
        self._dry_run = dry_run
        self._key: Key = ("", "")
        self._ips: list[str] = []  # claimed in this write, in the allocator's pending set unless dry run
        self._ports: list[int] = []

    def __enter__(self) -> AllocationTransaction:
        return self

    def __exit__(self, *_exc: object) -> None:
        if not self._dry_run:
            for ip in self._ips:
                self._allocator._pending_ips.remove(ip)
            for port in self._ports:
                self._allocator._pending_ports.remove(port)
        self._ips, self._ports = [], []

    def for_service(self, svc: dict, *, creating: bool) -> AllocationTransaction:
        """Claims on behalf of ``svc``: on an update its own values stay claimable by it; a create holds
        nothing yet (and may not know its name: ``generateName``), so it claims under a key of its own."""
        meta = svc.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
        namespace = meta.get("namespace") or ""
        self._key = (namespace, f"\x00create-{id(self)}") if creating else (namespace, meta.get("name") or "")
        return self

    # -- Claims

    def _ip_taken(self, ip: str) -> bool:
        return ip in self._ips or self._allocator.ip_taken(ip, self._key)

    def _port_taken(self, port: int) -> bool:
        return port in self._ports or self._allocator.port_taken(port, self._key)

    def claim_ip(self, ip: str) -> str | None:
        ranges = self._allocator.ranges
        try:
            address = int(ipaddress.IPv4Address(ip))
        except ValueError:
            address = -1
        if not ranges.first_ip <= address <= ranges.last_ip:  # the network and broadcast addresses too
            return "the provided network does not match the current range"
        if self._ip_taken(ip):
            return "provided IP is already allocated"
        self._take_ip(ip)
        return None

    def next_ip(self) -> str | None:
        ranges = self._allocator.ranges
        found = pick_free(
            ranges.ip_bands(), lambda n: self._ip_taken(str(ipaddress.IPv4Address(n))), self._allocator._rng
        )
        if found is None:
            return None
        ip = str(ipaddress.IPv4Address(found))
        self._take_ip(ip)
        return ip

    def claim_port(self, port: int) -> str | None:
        ranges = self._allocator.ranges
        if not ranges.first_port <= port <= ranges.last_port:
            return f"provided port is not in the valid range. The range of valid ports is {ranges.node_port_text}"
        if self._port_taken(port):
            return "provided port is already allocated"
        self._take_port(port)
        return None

    def next_port(self) -> int | None:
        ranges = self._allocator.ranges
        port = pick_free(ranges.port_bands(), self._port_taken, self._allocator._rng)
        if port is not None:
            self._take_port(port)
        return port

    def _take_ip(self, ip: str) -> None:
        self._ips.append(ip)
        if not self._dry_run:
            self._allocator._pending_ips.add(ip, self._key)

    def _take_port(self, port: int) -> None:
        self._ports.append(port)
        if not self._dry_run:
            self._allocator._pending_ports.add(port, self._key)
