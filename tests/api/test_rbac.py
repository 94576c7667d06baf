"""Requests to karmadad authorized by the RBAC objects stored in it, as kube-apiserver authorizes them.

``alice`` has a token and no group: what she may do comes only from RoleBindings and ClusterRoleBindings.
"""

from __future__ import annotations

import json

import pytest

NS_PREFIX = "rbac-"
EDIT_IN = """apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: alice-edits, namespace: {ns}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}}]
"""


@pytest.fixture
def team(kubectl, ns):
    """Two namespaces: alice edits in the first (team-a), the second (team-b) is not hers."""
    other = f"{ns}-b"
    kubectl("create", "namespace", other)
    kubectl("create", "secret", "generic", "token", "--from-literal=k=v", "-n", other)
    kubectl("apply", "-f", "-", stdin=EDIT_IN.format(ns=ns))
    yield ns, other
    kubectl("delete", f"namespace/{other}", "--wait=false")


@pytest.fixture
def alice(kubectl, karmadad):
    def run(*args: str, check: bool = True):
        return kubectl(*args, check=check, kubeconfig=karmadad.tenant_kubeconfig)

    return run


def test_a_rolebinding_to_edit_grants_one_namespace(team, alice):
    mine, theirs = team
    assert (
        "deployment.apps/web created"
        in alice("create", "deployment", "web", "--image=nginx", "-n", mine).stdout
    )
    refused = alice("create", "deployment", "web", "--image=nginx", "-n", theirs, check=False)
    assert refused.returncode != 0
    assert (
        f'deployments.apps is forbidden: User "alice" cannot create resource "deployments" in API group "apps" '
        f'in the namespace "{theirs}"'
    ) in refused.stderr
    assert alice("get", "secrets", "-n", theirs, check=False).returncode != 0
    assert alice("get", "secrets", "-A", check=False).returncode != 0
    assert alice("get", "namespaces", check=False).returncode != 0  # cluster-scoped: not granted
    assert alice("auth", "can-i", "create", "deployments", "-n", mine).stdout.strip() == "yes"
    assert alice("auth", "can-i", "create", "deployments", "-n", theirs, check=False).stdout.strip() == "no"


def test_can_i_list_shows_exactly_the_grant(team, alice):
    mine, theirs = team
    listed = alice("auth", "can-i", "--list", "-n", mine).stdout
    rows = {line.split()[0]: line for line in listed.splitlines()[1:] if line.strip()}
    assert (
        "deployments.apps" in rows
        and "[create delete deletecollection patch update" in rows["deployments.apps"]
    )
    assert "selfsubjectaccessreviews.authorization.k8s.io" in rows
    elsewhere = alice("auth", "can-i", "--list", "-n", theirs).stdout
    assert "deployments.apps" not in elsewhere
    assert "selfsubjectreviews.authentication.k8s.io" in elsewhere


def test_removing_the_binding_takes_effect_at_once(team, kubectl, alice):
    mine, _ = team
    alice("create", "configmap", "before", "--from-literal=a=b", "-n", mine)
    kubectl("delete", "rolebinding", "alice-edits", "-n", mine)
    refused = alice("create", "configmap", "after", "--from-literal=a=b", "-n", mine, check=False)
    assert refused.returncode != 0 and "forbidden" in refused.stderr


def test_a_role_of_her_own_with_resource_names(kubectl, alice, ns):
    kubectl("create", "configmap", "open", "--from-literal=a=b", "-n", ns)
    kubectl("create", "configmap", "closed", "--from-literal=a=b", "-n", ns)
    kubectl(
        "create",
        "role",
        "one-configmap",
        "--verb=get",
        "--resource=configmaps",
        "--resource-name=open",
        "-n",
        ns,
    )
    kubectl("create", "rolebinding", "alice-one", "--role=one-configmap", "--user=alice", "-n", ns)
    assert json.loads(alice("get", "cm", "open", "-n", ns, "-o", "json").stdout)["data"] == {"a": "b"}
    assert alice("get", "cm", "closed", "-n", ns, check=False).returncode != 0
    assert alice("get", "cm", "-n", ns, check=False).returncode != 0  # a list names no object


def test_groups_and_cluster_bindings(kubectl, karmadad, ns):
    """The config's view group reads through the built-in binding; never Secrets."""
    viewer = {"kubeconfig": karmadad.view_kubeconfig}
    assert kubectl("get", "deployments", "-A", **viewer).returncode == 0
    assert kubectl("get", "secrets", "-n", ns, check=False, **viewer).returncode != 0
    roles = json.loads(
        kubectl("get", "clusterroles", "view", "edit", "admin", "cluster-admin", "-o", "json").stdout
    )
    view = next(r for r in roles["items"] if r["metadata"]["name"] == "view")
    assert view["aggregationRule"]["clusterRoleSelectors"]
    assert not any("secrets" in rule.get("resources", ()) for rule in view["rules"])
