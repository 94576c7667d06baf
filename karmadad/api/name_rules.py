"""Kubernetes' rules for object names — DNS-1123 subdomains and labels, URL path segments — with
kube-apiserver's wording of what breaks them (apimachinery's validation), for every kind's strategy and
for the fields that hold names (a Service port's name, an ExternalName)."""

from __future__ import annotations

import re

_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
MAX_NAME_LENGTH = 253  # a DNS-1123 subdomain
MAX_NAMESPACE_NAME_LENGTH = 63  # a DNS-1123 label


def is_dns_subdomain(name: str) -> bool:
    """Whether ``name`` is valid as most kinds' names are: a DNS-1123 subdomain of at most 253 characters."""
    return len(name) <= MAX_NAME_LENGTH and _DNS1123_SUBDOMAIN.fullmatch(name) is not None


_SUBDOMAIN_FORMAT = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_FORMAT = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


def subdomain_problems(value: str) -> list[str]:
    """``IsDNS1123Subdomain``: why ``value`` is no DNS-1123 subdomain, in kube-apiserver's words."""
    problems = [f"must be no more than {MAX_NAME_LENGTH} characters"] if len(value) > MAX_NAME_LENGTH else []
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        problems.append(_SUBDOMAIN_FORMAT)
    return problems


def label_problems(value: str) -> list[str]:
    """``IsDNS1123Label``: why ``value`` is no DNS-1123 label, in kube-apiserver's words."""
    limit = MAX_NAMESPACE_NAME_LENGTH
    problems = [f"must be no more than {limit} characters"] if len(value) > limit else []
    if not DNS1123_LABEL.fullmatch(value):
        dotted = _DNS1123_SUBDOMAIN.fullmatch(value) is not None
        problems.append("must not contain dots" if dotted else LABEL_FORMAT)
    return problems


def path_segment_problems(value: str) -> list[str]:
    """``IsValidPathSegmentName``: names that cannot be one segment of a URL path."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{char}'" for char in ("/", "%") if char in value]
