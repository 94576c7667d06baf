"""The deletion-protected label refuses deletes, as Karmada's webhook does, until it is removed."""

from __future__ import annotations

PROTECTED = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: keep-me
  namespace: default
  labels: {resourcetemplate.karmada.io/deletion-protected: Always}
data: {a: b}
"""


def test_protected_objects_cannot_be_deleted_until_unlabelled(kubectl):
    kubectl("apply", "-f", "-", stdin=PROTECTED)
    refused = kubectl("delete", "configmap", "keep-me", "-n", "default", check=False)
    assert refused.returncode != 0
    assert "This resource is protected, please make sure to remove the label" in refused.stderr
    assert "Forbidden" in refused.stderr or "forbidden" in refused.stderr
    collection = kubectl(
        "delete",
        "configmaps",
        "-n",
        "default",
        "-l",
        "resourcetemplate.karmada.io/deletion-protected",
        check=False,
    )
    assert collection.returncode != 0
    assert kubectl("get", "configmap", "keep-me", "-n", "default", check=False).returncode == 0
    kubectl(
        "label", "configmap", "keep-me", "-n", "default", "resourcetemplate.karmada.io/deletion-protected-"
    )
    kubectl("delete", "configmap", "keep-me", "-n", "default")
    assert kubectl("get", "configmap", "keep-me", "-n", "default", check=False).returncode != 0
