"""Container image references split the way Karmada's image overrider sees them.

Why a parser of our own: the imageOverrider edits one component of an image (registry, repository, or
tag/digest), and which text counts as "the registry" decides what the user gets. Karmada validates the
whole reference with the distribution/reference grammar (no Docker Hub normalisation: ``nginx`` stays
``nginx``), then takes the registry to be the first ``/``-separated part only when that part contains a
``.`` or a ``:`` or is exactly ``localhost``. A reference carrying both a tag and a digest keeps just the
tag, so rewriting such an image drops its digest — as Karmada does. Digests must use an algorithm Go's
digest package knows (sha256, sha384, sha512) with lower-case hex of the right length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# The reference grammar (distribution/reference); Go's ``\w`` is ASCII-only, hence re.ASCII.
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_AND_PORT = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_NAME = rf"(?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME}"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"

_REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
_NAME_PARTS = re.compile(rf"(?:({_DOMAIN_AND_PORT})/)?({_REMOTE_NAME})", re.ASCII)
TAG = re.compile(_TAG, re.ASCII)
DIGEST = re.compile(_DIGEST, re.ASCII)

REPOSITORY_PATH_MAX = 255
# Hex length of each digest algorithm Karmada's binary can verify.
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX = re.compile(r"[a-f0-9]+", re.ASCII)

COMPONENTS = ("Registry", "Repository", "Tag")


class ImageError(ValueError):
    """The text is not an image reference Karmada accepts."""


@dataclass(frozen=True)
class ImageReference:
    """``[hostname/]repository[:tag | @digest]``; at most one of tag and digest is set."""

    hostname: str = ""
    repository: str = ""
    tag: str = ""
    digest: str = ""

    @property
    def full_repository(self) -> str:
        return f"{self.hostname}/{self.repository}" if self.hostname else self.repository

    @property
    def tag_or_digest(self) -> str:
        return self.tag or self.digest

    def __str__(self) -> str:
        if self.tag:
            return f"{self.full_repository}:{self.tag}"
        if self.digest:
            return f"{self.full_repository}@{self.digest}"
        return self.full_repository

    def with_tag_or_digest(self, text: str) -> ImageReference:
        """A valid tag replaces tag and digest; else a valid digest does; anything else changes nothing."""
        if TAG.fullmatch(text):
            return replace(self, tag=text, digest="")
        if DIGEST.fullmatch(text):
            return replace(self, tag="", digest=text)
        return self

    def without_tag_or_digest(self) -> ImageReference:
        return replace(self, tag="") if self.tag else replace(self, digest="")


def split_hostname(name: str) -> tuple[str, str]:
    """(registry, repository) of a repository name: the first part is a registry only when it looks like
    a host — it has a ``.`` or ``:``, or is ``localhost``."""
    first, slash, rest = name.partition("/")
    if not slash or ("." not in first and ":" not in first and first != "localhost"):
        return "", name
    return first, rest


def _check_digest(digest: str) -> None:
    algorithm, _, encoded = digest.partition(":")
    length = DIGEST_HEX_LENGTHS.get(algorithm)
    if length is None:
        raise ImageError(f"digest algorithm {algorithm!r} is not supported")
    if len(encoded) != length:
        raise ImageError(f"{algorithm} digest must have {length} hex digits, not {len(encoded)}")
    if not _LOWER_HEX.fullmatch(encoded):
        raise ImageError(f"{algorithm} digest must be lower-case hex")


def parse_image(image: str) -> ImageReference:
    if not image:
        raise ImageError("image reference is empty")
    match = _REFERENCE.fullmatch(image)
    if match is None:
        if image.lower() != image and _REFERENCE.fullmatch(image.lower()):
            raise ImageError(f"image reference {image!r} must be lower-case")
        raise ImageError(f"{image!r} is not a valid image reference")
    name, tag, digest = match.group(1), match.group(2) or "", match.group(3) or ""
    parts = _NAME_PARTS.fullmatch(name)
    if parts is not None and len(parts.group(2)) > REPOSITORY_PATH_MAX:
        raise ImageError(f"repository name is longer than {REPOSITORY_PATH_MAX} characters")
    if digest:
        _check_digest(digest)
    hostname, repository = split_hostname(name)
    return ImageReference(hostname, repository, tag, "" if tag else digest)


def override_image(image: str, component: str, operator: str, value: str) -> str:
    """``image`` with one component edited: ``add`` appends ``value`` to it as text, ``replace`` sets it,
    ``remove`` clears it; an unknown operator changes nothing (the image is still re-rendered)."""
    reference = parse_image(image)
    if component == "Registry":
        if operator == "add":
            reference = replace(reference, hostname=reference.hostname + value)
        elif operator == "replace":
            reference = replace(reference, hostname=value)
        elif operator == "remove":
            reference = replace(reference, hostname="")
    elif component == "Repository":
        if operator == "add":
            reference = replace(reference, repository=reference.repository + value)
        elif operator == "replace":
            reference = replace(reference, repository=value)
        elif operator == "remove":
            reference = replace(reference, repository="")
    elif component == "Tag":
        if operator == "add":
            reference = reference.with_tag_or_digest(reference.tag_or_digest + value)
        elif operator == "replace":
            reference = reference.with_tag_or_digest(value)
        elif operator == "remove":
            reference = reference.without_tag_or_digest()
    else:
        raise ImageError(f"unsupported image component {component!r} (want one of {', '.join(COMPONENTS)})")
    return str(reference)
