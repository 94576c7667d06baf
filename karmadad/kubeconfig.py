"""``karmadad kubeconfig``: a kubeconfig that points kubectl at this karmadad, with CA and token."""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

import yaml

from karmadad.apiserver.auth import generated_admin_token
from karmadad.config import ClusterConfig, DaemonConfig
from karmadad.ops_server import split_listen


class KubeconfigError(Exception):
    pass


def build_kubeconfig(config: DaemonConfig, user: str | None = None) -> str:
    host, port = split_listen(config.api.listen)
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    ca_file = config.api.tls.certFile or config.dataDir / "pki" / "ca.crt"
    if not ca_file.exists():
        raise KubeconfigError(f"{ca_file} does not exist yet: start karmadad once to generate it")
    if config.api.tokens:
        entries = [t for t in config.api.tokens if user is None or t.user == user]
        if not entries:
            raise KubeconfigError(f"no token for user {user!r} in api.tokens")
        entry = entries[0]
        name = entry.user
        token = entry.secret()
    else:
        if user not in (None, "admin"):
            raise KubeconfigError("api.tokens is empty: only the generated admin user exists")
        name, token = "admin", generated_admin_token(config.dataDir)
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "karmadad",
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(ca_file.read_bytes()).decode(),
                },
            }
        ],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": f"{name}@karmadad", "context": {"cluster": "karmadad", "user": name}}],
        "current-context": f"{name}@karmadad",
    }
    return yaml.safe_dump(document, sort_keys=False)


def members_kubeconfig(members: list[ClusterConfig]) -> str:
    """One kubeconfig for kubectl to members reached by ``server``, ``tokenFile`` and ``caFile`` (the simulated
    ones): a context per member, named as the member, the first one current — as Karmada's quick start hands
    out ``members.config``."""
    clusters, users, contexts = [], [], []
    for member in members:
        assert member.server and member.tokenFile and member.caFile, member.name
        ca = base64.b64encode(member.caFile.read_bytes()).decode()
        clusters.append(
            {"name": member.name, "cluster": {"server": member.server, "certificate-authority-data": ca}}
        )
        users.append({"name": member.name, "user": {"token": member.tokenFile.read_text().strip()}})
        contexts.append({"name": member.name, "context": {"cluster": member.name, "user": member.name}})
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": contexts[0]["name"] if contexts else "",
    }
    return yaml.safe_dump(document, sort_keys=False)


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), whole or not at all.

    A kubeconfig carries a bearer token: it is created private instead of being chmod-ed after the fact (a
    shell redirect creates it with the umask's mode, often 0644), its directory is made 0700 when missing (as
    ``~/.kube`` is), and an older file is replaced only by a complete new one.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
