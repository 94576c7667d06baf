"""The CEL functions kube-apiserver adds for ``x-kubernetes-validations`` rules beyond standard CEL, for
cel-python: the string extensions (``charAt``, ``indexOf``, ``lowerAscii``, ``replace``, ``split``,
``substring``, ``trim``, ``join``, ...), Kubernetes' list, regex, URL, quantity and IP/CIDR libraries.

Each is a plain function over CEL values; a call in receiver style (``self.name.lowerAscii()``) passes the
receiver first. A value a function cannot take raises ``ValueError`` or ``TypeError``, which the evaluator
turns into the rule's evaluation error, as cel-go fails the rule. :data:`FUNCTIONS` is the table a program
is made with."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from fractions import Fraction
from functools import total_ordering
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlsplit

from celpy import celtypes

from karmadad.quantity import exact_quantity

# -- strings -------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"no such overload: {type(value).__name__}")
    return str(value)


def _char_at(text: Any, index: Any) -> celtypes.StringType:
    text = _text(text)
    if not 0 <= index <= len(text):
        raise ValueError(f"index out of range: {index}")
    return celtypes.StringType(text[index : index + 1])


def _index_of(target: Any, item: Any, offset: Any = 0) -> celtypes.IntType:
    """A substring's first place in a string (from ``offset``), or an element's in a list; -1 if none."""
    if isinstance(target, list):
        return celtypes.IntType(next((i for i, element in enumerate(target) if element == item), -1))
    text = _text(target)
    if not 0 <= offset <= len(text):
        raise ValueError(f"index out of range: {offset}")
    return celtypes.IntType(text.find(_text(item), offset))


def _last_index_of(target: Any, item: Any, offset: Any = None) -> celtypes.IntType:
    if isinstance(target, list):
        found = [i for i, element in enumerate(target) if element == item]
        return celtypes.IntType(found[-1] if found else -1)
    text, sought = _text(target), _text(item)
    end = len(text) if offset is None else offset
    if not 0 <= end <= len(text):
        raise ValueError(f"index out of range: {end}")
    return celtypes.IntType(text.rfind(sought, 0, end + len(sought)))


def _ascii(text: Any, convert: Callable[[str], str]) -> celtypes.StringType:
    return celtypes.StringType("".join(convert(c) if c.isascii() else c for c in _text(text)))


def _replace(text: Any, old: Any, new: Any, count: Any = -1) -> celtypes.StringType:
    return celtypes.StringType(_text(text).replace(_text(old), _text(new), count if count >= 0 else -1))


def _split(text: Any, separator: Any, count: Any = -1) -> celtypes.ListType:
    text, separator = _text(text), _text(separator)
    if count == 0:
        return celtypes.ListType([])
    if separator == "":  # code points, the last one holding the rest when the count runs out
        parts = list(text) if count < 0 or count >= len(text) else [*text[: count - 1], text[count - 1 :]]
    else:
        parts = text.split(separator, count - 1 if count > 0 else -1)
    return celtypes.ListType([celtypes.StringType(part) for part in parts])


def _substring(text: Any, start: Any, end: Any = None) -> celtypes.StringType:
    text = _text(text)
    end = len(text) if end is None else end
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"substring out of range: {start}, {end}")
    return celtypes.StringType(text[start:end])


def _join(items: Any, separator: Any = "") -> celtypes.StringType:
    if not isinstance(items, list):
        raise TypeError("join needs a list of strings")
    return celtypes.StringType(_text(separator).join(_text(item) for item in items))


def _reverse(target: Any) -> Any:
    if isinstance(target, list):
        return celtypes.ListType(list(reversed(target)))
    return celtypes.StringType(_text(target)[::-1])


# -- lists ---------------------------------------------------------------------------------------------


def _items(value: Any) -> list:
    if not isinstance(value, list):
        raise TypeError(f"no such overload: {type(value).__name__}")
    return list(value)


def _is_sorted(value: Any) -> celtypes.BoolType:
    items = _items(value)
    return celtypes.BoolType(all(a <= b for a, b in pairwise(items)))


def _sum(value: Any) -> Any:
    items = _items(value)
    if not items:
        return celtypes.IntType(0)
    total = items[0]
    for item in items[1:]:
        total = total + item
    return total


def _least(value: Any) -> Any:
    items = _items(value)
    if not items:
        raise ValueError("min called on an empty list")
    return min(items)


def _greatest(value: Any) -> Any:
    items = _items(value)
    if not items:
        raise ValueError("max called on an empty list")
    return max(items)


# -- regex ---------------------------------------------------------------------------------------------


def _find(text: Any, pattern: Any) -> celtypes.StringType:
    found = re.search(_text(pattern), _text(text))
    return celtypes.StringType(found.group(0) if found else "")


def _find_all(text: Any, pattern: Any, limit: Any = -1) -> celtypes.ListType:
    found = [match.group(0) for match in re.finditer(_text(pattern), _text(text))]
    if limit >= 0:
        found = found[:limit]
    return celtypes.ListType([celtypes.StringType(item) for item in found])


def _parses(parse: Callable[[Any], Any]) -> Callable[[Any], celtypes.BoolType]:
    """The ``isURL``/``isIP``/``isCIDR`` of a parser: whether it takes the value, instead of failing the rule."""

    def takes(value: Any) -> celtypes.BoolType:
        try:
            parse(value)
        except (TypeError, ValueError):
            return celtypes.BoolType(False)
        return celtypes.BoolType(True)

    return takes


# -- URLs ----------------------------------------------------------------------------------------------


class URL:
    """A URL as Kubernetes' ``url()`` takes it: an absolute URI or an absolute path."""

    def __init__(self, text: str):
        parts = urlsplit(text)
        if not (parts.scheme or text.startswith("/")) or any(c.isspace() for c in text):
            raise ValueError(f"URL parse error during conversion from string: {text}")
        self.text, self.parts = text, parts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, URL) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _url(text: Any) -> URL:
    return URL(_text(text))


def _of_url(value: Any) -> URL:
    if not isinstance(value, URL):
        raise TypeError("no such overload: a URL is needed")
    return value


def _hostname(url: Any) -> celtypes.StringType:
    """The host without port or brackets, in the case it was written (as Go's ``Hostname``)."""
    host = _of_url(url).parts.netloc.rpartition("@")[2]
    if host.startswith("["):
        return celtypes.StringType(host[1 : host.find("]")] if "]" in host else host[1:])
    return celtypes.StringType(host.partition(":")[0])


def _host(url: Any) -> celtypes.StringType:
    return celtypes.StringType(_of_url(url).parts.netloc.rpartition("@")[2])


def _port(url: Any) -> celtypes.StringType:
    netloc = _of_url(url).parts.netloc.rpartition("@")[2]
    host, colon, port = netloc.rpartition(":")
    return celtypes.StringType(port if colon and not port.endswith("]") and host else "")


def _query(url: Any) -> celtypes.MapType:
    values = parse_qs(_of_url(url).parts.query, keep_blank_values=True)
    return celtypes.MapType(
        {
            celtypes.StringType(key): celtypes.ListType([celtypes.StringType(item) for item in items])
            for key, items in values.items()
        }
    )


# -- quantities ----------------------------------------------------------------------------------------


@total_ordering
class Quantity:
    """A resource quantity's exact value, compared and added as Kubernetes' CEL quantities are."""

    def __init__(self, value: Fraction):
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quantity) and other.value == self.value

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __hash__(self) -> int:
        return hash(self.value)


def _quantity(text: Any) -> Quantity:
    value = exact_quantity(_text(text))
    if value is None:
        raise ValueError(f"quantities must match the regular expression: {text}")
    return Quantity(value)


def _is_quantity(text: Any) -> celtypes.BoolType:
    return celtypes.BoolType(isinstance(text, str) and exact_quantity(str(text)) is not None)


def _of_quantity(value: Any) -> Fraction:
    if isinstance(value, Quantity):
        return value.value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(int(value))
    raise TypeError("no such overload: a quantity is needed")


def _as_integer(value: Any) -> celtypes.IntType:
    number = _of_quantity(value)
    if number.denominator != 1 or not -(2**63) <= number.numerator < 2**63:
        raise ValueError("cannot convert value to integer")
    return celtypes.IntType(number.numerator)


def _compare(value: Any, other: Any) -> celtypes.IntType:
    a, b = _of_quantity(value), _of_quantity(other)
    return celtypes.IntType((a > b) - (a < b))


# -- IP addresses and CIDRs ----------------------------------------------------------------------------


IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_LINK_LOCAL_MULTICAST_V4 = ipaddress.ip_network("224.0.0.0/24")


class CIDR:
    """A CIDR as Kubernetes' ``cidr()`` keeps it: the address as written, and the network it names."""

    def __init__(self, address: IP, prefix: int):
        self.address = address
        self.network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CIDR) and (other.address, other.network) == (self.address, self.network)

    def __hash__(self) -> int:
        return hash((self.address, self.network))


def _strict_ip(text: str) -> IP:
    """An address as Go's ``netip.ParseAddr`` takes it for Kubernetes: no zone, no IPv4 inside IPv6."""
    if "%" in text or (":" in text and "." in text):
        raise ValueError(f"IP Address {text!r} parse error during conversion from string")
    return ipaddress.ip_address(text)


def _ip(value: Any) -> IP:
    """``ip(string)``, and on a CIDR its address as written (``cidr.ip()``)."""
    if isinstance(value, CIDR):
        return value.address
    return _strict_ip(_text(value))


def _of_ip(value: Any) -> IP:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    if isinstance(value, str):
        return _strict_ip(str(value))
    raise TypeError("no such overload: an IP address is needed")


def _cidr(value: Any) -> CIDR:
    text = _text(value)
    address, slash, length = text.partition("/")
    if not slash or not length.isdigit():
        raise ValueError(f"network address parse error during conversion from string: {text}")
    ip = _strict_ip(address)
    if int(length) > ip.max_prefixlen:
        raise ValueError(f"network address parse error during conversion from string: {text}")
    return CIDR(ip, int(length))


def _of_cidr(value: Any) -> CIDR:
    if isinstance(value, CIDR):
        return value
    raise TypeError("no such overload: a CIDR is needed")


def _contains_ip(cidr: Any, ip: Any) -> celtypes.BoolType:
    return celtypes.BoolType(_of_ip(ip) in _of_cidr(cidr).network)


def _contains_cidr(cidr: Any, other: Any) -> celtypes.BoolType:
    outer, inner = _of_cidr(cidr).network, (other if isinstance(other, CIDR) else _cidr(other)).network
    return celtypes.BoolType(
        inner.version == outer.version
        and inner.prefixlen >= outer.prefixlen
        and inner.network_address in outer
    )


def _link_local_multicast(ip: IP) -> bool:
    if ip.version == 4:
        return ip in _LINK_LOCAL_MULTICAST_V4
    return ip.packed[0] == 0xFF and ip.packed[1] & 0x0F == 0x02


def _global_unicast(ip: IP) -> bool:
    """Go's ``IsGlobalUnicast``: none of the special kinds, and not IPv4's broadcast address."""
    special = ip.is_unspecified or ip.is_loopback or ip.is_multicast or ip.is_link_local
    return not special and ip != ipaddress.IPv4Address("255.255.255.255")


def _ip_check(check: Callable[[IP], bool]) -> Callable[[Any], celtypes.BoolType]:
    return lambda value: celtypes.BoolType(check(_of_ip(value)))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # strings
    "charAt": _char_at,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "lowerAscii": lambda text: _ascii(text, str.lower),
    "upperAscii": lambda text: _ascii(text, str.upper),
    "replace": _replace,
    "split": _split,
    "substring": _substring,
    "trim": lambda text: celtypes.StringType(_text(text).strip()),
    "join": _join,
    "reverse": _reverse,
    # lists
    "isSorted": _is_sorted,
    "sum": _sum,
    "min": _least,
    "max": _greatest,
    # regex
    "find": _find,
    "findAll": _find_all,
    # URLs
    "url": _url,
    "isURL": _parses(_url),
    "getScheme": lambda url: celtypes.StringType(_of_url(url).parts.scheme),
    "getHost": _host,
    "getHostname": _hostname,
    "getPort": _port,
    "getEscapedPath": lambda url: celtypes.StringType(_of_url(url).parts.path),
    "getQuery": _query,
    # quantities
    "quantity": _quantity,
    "isQuantity": _is_quantity,
    "isInteger": lambda q: celtypes.BoolType(_of_quantity(q).denominator == 1),
    "asInteger": _as_integer,
    "asApproximateFloat": lambda q: celtypes.DoubleType(float(_of_quantity(q))),
    "add": lambda q, other: Quantity(_of_quantity(q) + _of_quantity(other)),
    "sub": lambda q, other: Quantity(_of_quantity(q) - _of_quantity(other)),
    "isGreaterThan": lambda q, other: celtypes.BoolType(_of_quantity(q) > _of_quantity(other)),
    "isLessThan": lambda q, other: celtypes.BoolType(_of_quantity(q) < _of_quantity(other)),
    "compareTo": _compare,
    # IP addresses and CIDRs
    "ip": _ip,
    "isIP": _parses(lambda value: _strict_ip(_text(value))),
    "family": lambda value: celtypes.IntType(_of_ip(value).version),
    "isUnspecified": _ip_check(lambda ip: ip.is_unspecified),
    "isLoopback": _ip_check(lambda ip: ip.is_loopback),
    "isLinkLocalMulticast": _ip_check(_link_local_multicast),
    "isLinkLocalUnicast": _ip_check(lambda ip: ip.is_link_local and not ip.is_multicast),
    "isGlobalUnicast": _ip_check(_global_unicast),
    "cidr": _cidr,
    "isCIDR": _parses(_cidr),
    "containsIP": _contains_ip,
    "containsCIDR": _contains_cidr,
    "prefixLength": lambda cidr: celtypes.IntType(_of_cidr(cidr).network.prefixlen),
    "masked": lambda cidr: CIDR(_of_cidr(cidr).network.network_address, _of_cidr(cidr).network.prefixlen),
}
