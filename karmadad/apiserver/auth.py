"""Who is calling, and may they: bearer tokens from the config, two roles.

Tokens map to a user and groups. Group ``admin`` may do everything; group ``view`` may only read
(get, list, watch), and never Secrets — as Kubernetes' ``view`` role: they hold credentials, the members'
among them (``karmada-cluster``), and reading them would let a viewer act as someone else. No token or
an unknown one is 401; a known user without the right group is 403.
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

ADMIN_GROUP = "admin"
VIEW_GROUP = "view"
READ_VERBS = frozenset({"get", "list", "watch"})
HIDDEN_FROM_VIEW = frozenset({("", "secrets")})  # (group, resource) the view group may not read
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


def allowed(user: User, verb: str, group: str, resource: str) -> bool:
    if ADMIN_GROUP in user.groups:
        return True
    return VIEW_GROUP in user.groups and verb in READ_VERBS and (group, resource) not in HIDDEN_FROM_VIEW
