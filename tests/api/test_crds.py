"""A CustomResourceDefinition applied with kubectl makes its kind served; deleting it unserves it."""

from __future__ import annotations

import json
import time

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: guestbooks.webapp.my.domain
spec:
  group: webapp.my.domain
  names: {kind: Guestbook, listKind: GuestbookList, plural: guestbooks, singular: guestbook, shortNames: [gb]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"""

GUESTBOOK = """
apiVersion: webapp.my.domain/v1
kind: Guestbook
metadata: {name: first}
spec: {size: 3}
"""


def test_crd_lifecycle(kubectl):
    kubectl("apply", "-f", "-", stdin=CRD)
    kubectl("wait", "--for=condition=established", "crd/guestbooks.webapp.my.domain", "--timeout=10s")
    deadline = time.monotonic() + 5
    while "guestbooks" not in kubectl("api-resources", "--api-group=webapp.my.domain").stdout:
        assert time.monotonic() < deadline, "the CRD's kind is not served"
        time.sleep(0.1)
    assert "guestbook.webapp.my.domain/first created" in kubectl("apply", "-f", "-", stdin=GUESTBOOK).stdout
    table = kubectl("get", "gb").stdout.splitlines()
    assert table[0].split()[:2] == ["NAME", "SIZE"] and table[1].split()[:2] == ["first", "3"]
    listed = json.loads(kubectl("get", "guestbooks", "-o", "json").stdout)
    assert [item["metadata"]["name"] for item in listed["items"]] == ["first"]
    kubectl("delete", "gb", "first")
    kubectl("apply", "-f", "-", stdin=GUESTBOOK)
    kubectl("delete", "crd", "guestbooks.webapp.my.domain", "--timeout=20s")
    deadline = time.monotonic() + 5
    while kubectl("get", "guestbooks", check=False).returncode == 0:
        assert time.monotonic() < deadline, "the deleted CRD's kind is still served"
        time.sleep(0.1)
