"""What Ingresses, IngressClasses, NetworkPolicies and EndpointSlices must be, and how IP addresses and CIDRs are read,
as kube-apiserver checks them (with StrictIPCIDRValidation on, as in 1.36: no leading zeros, no
IPv4-mapped IPv6 addresses, no host bits beyond a prefix)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from karmadad.api.field_errors import duplicate, forbidden, invalid, not_supported, required
from karmadad.api.name_rules import (
    label_problems,
    path_segment_problems,
    port_name_problems,
    port_number_problems,
    qualified_name_problems,
    subdomain_problems,
)
from karmadad.api.validation.meta import selector_causes
from karmadad.errors import Cause

_IP_HINT = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
_CIDR_HINT = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
_PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
_PROTOCOLS = ("TCP", "UDP", "SCTP")
_WILDCARD = re.compile(r"\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_WILDCARD_HINT = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist "
    "of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. "
    "'*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
    "[a-z0-9])?)*')"
)


def _sloppy_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Go's ``ParseIPSloppy``: IPv4 octets may carry leading zeros (read as decimal)."""
    text = value
    if re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", value):
        text = ".".join(str(int(octet)) for octet in value.split("."))
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def ip_causes(value: str, path: str) -> list[Cause]:
    """``IsValidIPForLegacyField`` with strict validation."""
    address = _sloppy_ip(value)
    if address is None:
        return [invalid(path, value, _IP_HINT)]
    causes = []
    try:
        ipaddress.ip_address(value)
    except ValueError:
        causes.append(invalid(path, value, "must not have leading 0s"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        causes.append(invalid(path, value, "must not be an IPv4-mapped IPv6 address"))
    return causes


def endpoint_ip_causes(value: str, path: str) -> list[Cause]:
    """``ValidateEndpointIP``: addresses a Service may not send traffic to."""
    address = _sloppy_ip(value)
    if address is None:
        return [invalid(path, value, "must be a valid IP address")]
    causes = []
    if address.is_unspecified:
        causes.append(invalid(path, value, f"may not be unspecified ({value})"))
    if address.is_loopback:
        causes.append(invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if address.is_link_local:
        causes.append(invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if address in ipaddress.ip_network("224.0.0.0/24") or (
        address.version == 6 and address in ipaddress.ip_network("ff02::/16")
    ):
        causes.append(
            invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")
        )
    return causes


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    address, slash, prefix = value.partition("/")
    if not slash or not prefix.isdigit():
        return None
    ip = _sloppy_ip(address)
    if ip is None:
        return None
    try:
        return ipaddress.ip_network(f"{ip}/{int(prefix)}", strict=False)
    except ValueError:
        return None


def cidr_causes(value: str, path: str) -> list[Cause]:
    """``IsValidCIDRForLegacyField`` with strict validation."""
    network = _network(value)
    if network is None:
        return [invalid(path, value, _CIDR_HINT)]
    try:
        strict = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return [invalid(path, value, "must not have leading 0s in IP or prefix length")]
    if isinstance(strict, ipaddress.IPv6Network) and strict.network_address.ipv4_mapped is not None:
        return [invalid(path, value, "must not have an IPv4-mapped IPv6 address")]
    if ipaddress.ip_address(value.partition("/")[0]) != strict.network_address:
        return [invalid(path, value, "must not have bits set beyond the prefix length")]
    return []


# The protocols a port may name, as kube-apiserver lists them for containers, Endpoints and EndpointSlices.
PORT_PROTOCOLS = ("SCTP", "TCP", "UDP")


def port_protocol_causes(protocol: str, path: str) -> list[Cause]:
    """A container's or an Endpoints port's protocol: required (defaulting gives TCP), and one of three."""
    if not protocol:
        return [required(path)]
    return [] if protocol in PORT_PROTOCOLS else [not_supported(path, protocol, PORT_PROTOCOLS)]


def _host_causes(host: str, path: str) -> list[Cause]:
    if "*" in host:
        problems = ["must be no more than 253 characters"] if len(host) > 253 else []
        if not _WILDCARD.fullmatch(host):
            problems.append(_WILDCARD_HINT)
        return [invalid(path, host, problem) for problem in problems]
    return [invalid(path, host, problem) for problem in subdomain_problems(host)]


def _backend_causes(backend: dict, path: str) -> list[Cause]:
    resource, service = backend.get("resource"), backend.get("service")
    if resource is not None and service is not None:
        return [invalid(path, "", "cannot set both resource and service backends")]
    causes: list[Cause] = []
    if resource is not None:
        group = resource.get("apiGroup")
        if group:
            causes.extend(invalid(f"{path}.resource.apiGroup", group, p) for p in subdomain_problems(group))
        for field in ("kind", "name"):
            value = resource.get(field, "")
            if not value:
                causes.append(required(f"{path}.resource.{field}"))
            else:
                causes.extend(
                    invalid(f"{path}.resource.{field}", value, p) for p in path_segment_problems(value)
                )
    elif service is not None:
        name = service.get("name", "")
        if not name:
            causes.append(required(f"{path}.service.name"))
        else:
            causes.extend(invalid(f"{path}.service.name", name, p) for p in label_problems(name))
        port = service.get("port") or {}
        port_name, number = port.get("name", ""), port.get("number", 0)
        if port_name and number:
            causes.append(invalid(path, "", "cannot set both port name & port number"))
        elif port_name:
            causes.extend(
                invalid(f"{path}.service.port.name", port_name, p) for p in port_name_problems(port_name)
            )
        elif number:
            causes.extend(
                invalid(f"{path}.service.port.number", number, p) for p in port_number_problems(number)
            )
        else:
            causes.append(required(path, "port name or number is required"))
    else:
        causes.append(invalid(path, "", "resource or service backend is required"))
    return causes


def _ingress_path_causes(item: dict, path: str) -> list[Cause]:
    kind = item.get("pathType")
    if kind is None:
        return [required(f"{path}.pathType", "pathType must be specified")]
    value = item.get("path", "")
    causes: list[Cause] = []
    if kind in ("Exact", "Prefix"):
        if not value.startswith("/"):
            causes.append(invalid(f"{path}.path", value, "must be an absolute path"))
        if value:
            for part in ("//", "/./", "/../", "%2f", "%2F"):
                if part in value:
                    causes.append(invalid(f"{path}.path", value, f"must not contain '{part}'"))
            for suffix in ("/..", "/."):
                if value.endswith(suffix):
                    causes.append(invalid(f"{path}.path", value, f"cannot end with '{suffix}'"))
    elif kind == "ImplementationSpecific":
        if value and not value.startswith("/"):
            causes.append(invalid(f"{path}.path", value, "must be an absolute path"))
    else:
        causes.append(not_supported(f"{path}.pathType", kind, _PATH_TYPES))
    causes.extend(_backend_causes(item.get("backend") or {}, f"{path}.backend"))
    return causes


def ingress_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    rules = spec.get("rules") or []
    causes: list[Cause] = []
    if not rules and spec.get("defaultBackend") is None:
        causes.append(
            invalid("spec", spec.get("rules"), "either `defaultBackend` or `rules` must be specified")
        )
    if spec.get("defaultBackend") is not None:
        causes.extend(_backend_causes(spec["defaultBackend"], "spec.defaultBackend"))
    for index, rule in enumerate(rules):
        at = f"spec.rules[{index}]"
        host = rule.get("host", "")
        if host:
            if _sloppy_ip(host) is not None:
                causes.append(invalid(f"{at}.host", host, "must be a DNS name, not an IP address"))
            causes.extend(_host_causes(host, f"{at}.host"))
        http = rule.get("http")
        if http is not None:
            paths = http.get("paths") or []
            if not paths:
                causes.append(required(f"{at}.http.paths"))
            for path_index, item in enumerate(paths):
                causes.extend(_ingress_path_causes(item, f"{at}.http.paths[{path_index}]"))
    for index, tls in enumerate(spec.get("tls") or []):
        for host_index, host in enumerate(tls.get("hosts") or []):
            causes.extend(_host_causes(host, f"spec.tls[{index}].hosts[{host_index}]"))
        secret = tls.get("secretName", "")
        if secret:
            causes.extend(
                invalid(f"spec.tls[{index}].secretName", secret, p) for p in subdomain_problems(secret)
            )
    class_name = spec.get("ingressClassName")
    if class_name:
        causes.extend(invalid("spec.ingressClassName", class_name, p) for p in subdomain_problems(class_name))
    annotation = ((obj.get("metadata") or {}).get("annotations") or {}).get("kubernetes.io/ingress.class")
    if old is None and annotation is not None and class_name and annotation != class_name:
        detail = "must match `ingressClassName` when both are specified"
        causes.append(invalid("annotations.kubernetes.io/ingress.class", annotation, detail))
    return causes


def _policy_port_causes(port: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in _PROTOCOLS:
        causes.append(not_supported(f"{path}.protocol", protocol, _PROTOCOLS))
    number, end = port.get("port"), port.get("endPort")
    if isinstance(number, int):
        causes.extend(invalid(f"{path}.port", number, p) for p in port_number_problems(number))
        if end is not None:
            if end < number:
                causes.append(invalid(f"{path}.endPort", number, "must be greater than or equal to `port`"))
            causes.extend(invalid(f"{path}.endPort", end, p) for p in port_number_problems(end))
    elif isinstance(number, str):
        if end is not None:
            causes.append(invalid(f"{path}.endPort", end, "may not be specified when `port` is non-numeric"))
        causes.extend(invalid(f"{path}.port", number, p) for p in port_name_problems(number))
    elif end is not None:
        causes.append(invalid(f"{path}.endPort", end, "may not be specified when `port` is not specified"))
    return causes


def _strict_subnet(
    inner: ipaddress.IPv4Network | ipaddress.IPv6Network, outer: ipaddress.IPv4Network | ipaddress.IPv6Network
) -> bool:
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer) and inner.prefixlen > outer.prefixlen
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer) and inner.prefixlen > outer.prefixlen
    return False


def _peer_causes(peer: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    found = 0
    for field in ("podSelector", "namespaceSelector"):
        if peer.get(field) is not None:
            found += 1
            causes.extend(selector_causes(peer[field], f"{path}.{field}"))
    block = peer.get("ipBlock")
    if block is not None:
        found += 1
        cidr = block.get("cidr", "")
        if not cidr:
            causes.append(required(f"{path}.ipBlock.cidr"))
        else:
            causes.extend(cidr_causes(cidr, f"{path}.ipBlock.cidr"))
            network = _network(cidr)
            for index, excepted in enumerate(block.get("except") or []):
                at = f"{path}.ipBlock.except[{index}]"
                problems = cidr_causes(excepted, at)
                causes.extend(problems)
                inner = _network(excepted)
                if (
                    network is not None
                    and inner is not None
                    and not problems
                    and not _strict_subnet(inner, network)
                ):
                    causes.append(invalid(at, excepted, "must be a strict subset of `cidr`"))
    if not found:
        causes.append(required(path, "must specify a peer"))
    elif found > 1 and block is not None:
        causes.append(forbidden(path, "may not specify both ipBlock and another peer"))
    return causes


def network_policy_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = selector_causes(spec.get("podSelector"), "spec.podSelector")
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for index, rule in enumerate(spec.get(direction) or []):
            at = f"spec.{direction}[{index}]"
            for port_index, port in enumerate(rule.get("ports") or []):
                causes.extend(_policy_port_causes(port, f"{at}.ports[{port_index}]"))
            for peer_index, peer in enumerate(rule.get(peers) or []):
                causes.extend(_peer_causes(peer, f"{at}.{peers}[{peer_index}]"))
    types = spec.get("policyTypes") or []
    if len(types) > 2:
        causes.append(invalid("spec.policyTypes", types, "may not specify more than two policyTypes"))
        return causes
    for index, kind in enumerate(types):
        if kind not in ("Ingress", "Egress"):
            causes.append(not_supported(f"spec.policyTypes[{index}]", kind, ("Ingress", "Egress")))
    return causes


def endpoint_slice_causes(obj: dict, old: dict | None) -> list[Cause]:
    causes: list[Cause] = []
    kind = obj.get("addressType", "")
    if not kind:
        causes.append(required("addressType"))
    elif kind not in ("FQDN", "IPv4", "IPv6"):
        causes.append(not_supported("addressType", kind, ("FQDN", "IPv4", "IPv6")))
    names: list[Any] = []
    for index, port in enumerate(obj.get("ports") or []):
        at = f"ports[{index}]"
        name = port.get("name") or ""
        if name:
            causes.extend(invalid(f"{at}.name", name, p) for p in label_problems(name))
        if name in names:
            causes.append(duplicate(f"{at}.name", name))
        names.append(name)
        protocol = port.get("protocol")
        if protocol is None:
            causes.append(required(f"{at}.protocol"))
        elif protocol not in PORT_PROTOCOLS:
            causes.append(not_supported(f"{at}.protocol", protocol, PORT_PROTOCOLS))
        if port.get("appProtocol") is not None:
            value = port["appProtocol"]
            causes.extend(invalid(f"{at}.appProtocol", value, p) for p in qualified_name_problems(value))
    endpoints = obj.get("endpoints") or []
    if old is not None and endpoints == (old.get("endpoints") or []):
        return causes
    for index, endpoint in enumerate(endpoints):
        at = f"endpoints[{index}].addresses"
        addresses = endpoint.get("addresses") or []
        if not addresses:
            causes.append(required(at, "must contain at least 1 address"))
        for address_index, address in enumerate(addresses):
            if kind in ("IPv4", "IPv6"):
                problems = ip_causes(address, f"{at}[{address_index}]")
                if problems:
                    causes.extend(problems)
                    continue
                parsed = _sloppy_ip(address)
                if parsed is not None and parsed.version != int(kind[-1]):
                    causes.append(invalid(at, address, f"must be an {kind} address"))
                causes.extend(endpoint_ip_causes(address, f"{at}[{address_index}]"))
        hostname = endpoint.get("hostname")
        if hostname is not None:
            causes.extend(
                invalid(f"endpoints[{index}].hostname", hostname, p) for p in label_problems(hostname)
            )
    return causes


def ingress_class_causes(obj: dict, old: dict | None) -> list[Cause]:
    """``spec.controller``: a domain-prefixed path (``IsDomainPrefixedPath``)."""
    controller = (obj.get("spec") or {}).get("controller")
    if not isinstance(controller, str) or not controller:
        return [required("spec.controller")]
    host, slash, path = controller.partition("/")
    if not slash or not host or not path:
        return [
            invalid("spec.controller", controller, 'must be a domain-prefixed path (such as "acme.io/foo")')
        ]
    return [invalid("spec.controller", host, problem) for problem in subdomain_problems(host)]
