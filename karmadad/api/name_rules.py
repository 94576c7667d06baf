"""Kubernetes' rules for names and the small values validation reads by their syntax — DNS-1123 subdomains
and labels, URL path segments, qualified names and label values (from :mod:`karmadad.selectors`, which
parses selectors by the same rules), port names and numbers, environment variable names, percentages,
config keys — with kube-apiserver's wording of what breaks them (apimachinery's validation)."""

from __future__ import annotations

import re

from karmadad.selectors import label_key_problems as qualified_name_problems
from karmadad.selectors import label_value_problems
from karmadad.text_cache import short_text_cache

__all__ = [
    "config_key_problems",
    "dns1035_label_problems",
    "env_var_name_problems",
    "is_dns_subdomain",
    "label_problems",
    "label_value_problems",
    "path_segment_problems",
    "percent_problems",
    "port_name_problems",
    "port_number_problems",
    "qualified_name_problems",
    "subdomain_problems",
]

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


@short_text_cache
def subdomain_problems(value: str) -> tuple[str, ...]:
    """``IsDNS1123Subdomain``: why ``value`` is no DNS-1123 subdomain, in kube-apiserver's words."""
    problems = [f"must be no more than {MAX_NAME_LENGTH} characters"] if len(value) > MAX_NAME_LENGTH else []
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        problems.append(_SUBDOMAIN_FORMAT)
    return tuple(problems)


@short_text_cache
def label_problems(value: str) -> tuple[str, ...]:
    """``IsDNS1123Label``: why ``value`` is no DNS-1123 label, in kube-apiserver's words."""
    limit = MAX_NAMESPACE_NAME_LENGTH
    problems = [f"must be no more than {limit} characters"] if len(value) > limit else []
    if not DNS1123_LABEL.fullmatch(value):
        dotted = _DNS1123_SUBDOMAIN.fullmatch(value) is not None
        problems.append("must not contain dots" if dotted else LABEL_FORMAT)
    return tuple(problems)


_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1035_FORMAT = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


@short_text_cache
def dns1035_label_problems(value: str) -> tuple[str, ...]:
    """``IsDNS1035Label``: why ``value`` is no DNS-1035 label (a letter first), in kube-apiserver's words."""
    limit = MAX_NAMESPACE_NAME_LENGTH
    problems = [f"must be no more than {limit} characters"] if len(value) > limit else []
    if not _DNS1035_LABEL.fullmatch(value):
        problems.append(_DNS1035_FORMAT)
    return tuple(problems)


@short_text_cache
def path_segment_problems(value: str) -> tuple[str, ...]:
    """``IsValidPathSegmentName``: names that cannot be one segment of a URL path."""
    if value in (".", ".."):
        return (f"may not be '{value}'",)
    return tuple(f"may not contain '{char}'" for char in ("/", "%") if char in value)


def _regex_error(message: str, pattern: str, *examples: str) -> str:
    """apimachinery's ``RegexError`` text, double spaces between the examples included."""
    listed = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {listed}regex used for validation is '{pattern}')"


_PORT_NAME = re.compile(r"[-a-z0-9]+")
_LETTER = re.compile("[a-z]")


@short_text_cache
def port_name_problems(name: str) -> tuple[str, ...]:
    """``IsValidPortName`` (an IANA service name): at most 15 characters, a letter, no double hyphen."""
    problems = ["must be no more than 15 characters"] if len(name) > 15 else []
    if not _PORT_NAME.fullmatch(name):
        problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _LETTER.search(name):
        problems.append("must contain at least one letter (a-z)")
    if "--" in name:
        problems.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        problems.append("must not begin or end with a hyphen")
    return tuple(problems)


def port_number_problems(port: int) -> list[str]:
    """``IsValidPortNum``."""
    return [] if 1 <= port <= 65535 else ["must be between 1 and 65535, inclusive"]


@short_text_cache
def env_var_name_problems(name: str) -> tuple[str, ...]:
    """``IsRelaxedEnvVarName``: printable ASCII but ``=`` (the rule since RelaxedEnvironmentVariableValidation)."""
    if any(ord(char) > 126 or ord(char) < 32 or char == "=" for char in name):
        return (
            "a valid environment variable name must consist only of printable ASCII characters other than '='",
        )
    return ()


_PERCENT_FORMAT = "[0-9]+%"
_PERCENT = re.compile(_PERCENT_FORMAT)
_PERCENT_HINT = _regex_error(
    "a valid percent string must be a numeric string followed by an ending '%'", _PERCENT_FORMAT, "1%", "93%"
)


@short_text_cache
def percent_problems(value: str) -> tuple[str, ...]:
    """``IsValidPercent``."""
    return () if _PERCENT.fullmatch(value) else (_PERCENT_HINT,)


_CONFIG_KEY_FORMAT = "[-._a-zA-Z0-9]+"
_CONFIG_KEY = re.compile(_CONFIG_KEY_FORMAT)
_CONFIG_KEY_HINT = _regex_error(
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
    _CONFIG_KEY_FORMAT,
    "key.name",
    "KEY_NAME",
    "key-name",
)


@short_text_cache
def config_key_problems(key: str) -> tuple[str, ...]:
    """``IsConfigMapKey``: a key that can be a file name (ConfigMap and Secret keys, key selectors)."""
    problems = [f"must be no more than {MAX_NAME_LENGTH} characters"] if len(key) > MAX_NAME_LENGTH else []
    if not _CONFIG_KEY.fullmatch(key):
        problems.append(_CONFIG_KEY_HINT)
    if key in (".", ".."):
        problems.append(f"must not be '{key}'")
    elif key.startswith(".."):
        problems.append("must not start with '..'")
    return tuple(problems)
