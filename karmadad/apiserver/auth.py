"""Who is calling: bearer tokens from the config, each mapped to a user and groups.

No token or an unknown one is 401; what a known user may do is RBAC's answer (:mod:`karmadad.apiserver.rbac`).
When the config lists no tokens, a random admin token is generated once into ``dataDir/admin.token``
(0600) so a fresh install is usable and still never anonymous. Tokens are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from karmadad.config import APIConfig
from karmadad.logs import get_logger

log = get_logger("auth")

ADMIN_GROUP = "admin"  # the config's administrators: every request, as system:masters
GENERATED_TOKEN_FILE = "admin.token"


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...]


def _digest(token: str) -> bytes:
    # header bytes that are not UTF-8 arrive as surrogates: they digest to what no configured token matches
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def generated_admin_token(data_dir: Path) -> str:
    """The admin token of an install with no configured tokens, created on first use."""
    path = data_dir / GENERATED_TOKEN_FILE
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        log.info("generated an admin token", path=str(path))
    return path.read_text().strip()


def configured_tokens(api: APIConfig, data_dir: Path) -> dict[str, User]:
    """Token → user, from the config (token files are read now) or the generated admin token."""
    tokens: dict[str, User] = {}
    for entry in api.tokens:
        token = entry.secret()
        tokens[token] = User(entry.user, tuple(entry.groups))
    if not tokens:
        tokens[generated_admin_token(data_dir)] = User("admin", (ADMIN_GROUP,))
    return tokens


class TokenAuthenticator:
    def __init__(self, tokens: dict[str, User]):
        self._by_digest = {_digest(token): user for token, user in tokens.items()}

    def authenticate(self, authorization: str | None) -> User | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        wanted = _digest(token.strip())
        found = None
        for digest, user in self._by_digest.items():  # compare with every entry: no timing hint
            if hmac.compare_digest(digest, wanted):
                found = user
        return found
