"""Karmada manifests, written as Karmada's documentation writes them, applied with kubectl."""

from __future__ import annotations

import json

import yaml

from tests.api.rawhttp import Client

POLICIES = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: nginx-propagation
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: nginx
  placement:
    clusterAffinity:
      clusterNames:
        - member1
        - member2
    replicaScheduling:
      replicaDivisionPreference: Weighted
      replicaSchedulingType: Divided
      weightPreference:
        staticWeightList:
          - targetCluster:
              clusterNames:
                - member1
            weight: 1
          - targetCluster:
              clusterNames:
                - member2
            weight: 1
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata:
  name: crd-propagation
spec:
  resourceSelectors:
    - apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      name: guestbooks.webapp.my.domain
  placement:
    clusterAffinity:
      clusterNames:
        - member1
---
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata:
  name: example-override
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: nginx
  overrideRules:
    - targetCluster:
        clusterNames:
          - member1
      overriders:
        imageOverrider:
          - component: Registry
            operator: replace
            value: registry.example.com
        labelsOverrider:
          - operator: add
            value:
              env: member1
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata:
  name: example-cluster-override
spec:
  resourceSelectors:
    - apiVersion: v1
      kind: Namespace
  overrideRules:
    - targetCluster:
        clusterNames:
          - member2
      overriders:
        annotationsOverrider:
          - operator: add
            value:
              team: blue
"""

INVALID_SPREAD = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: bad-spread
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: nginx
  placement:
    spreadConstraints:
      - spreadByField: region
        spreadByLabel: example.com/rack
        maxGroups: 2
        minGroups: 1
"""


def test_policies_apply_get_and_default_like_karmada(kubectl):
    out = kubectl("apply", "-f", "-", stdin=POLICIES).stdout
    for created in (
        "propagationpolicy.policy.karmada.io/nginx-propagation created",
        "clusterpropagationpolicy.policy.karmada.io/crd-propagation created",
        "overridepolicy.policy.karmada.io/example-override created",
        "clusteroverridepolicy.policy.karmada.io/example-cluster-override created",
    ):
        assert created in out
    pp = json.loads(kubectl("get", "pp", "nginx-propagation", "-o", "json").stdout)
    assert pp["metadata"]["labels"]["propagationpolicy.karmada.io/permanent-id"]
    assert pp["metadata"]["finalizers"] == ["karmada.io/propagation-policy-controller"]
    assert pp["spec"]["conflictResolution"] == "Abort" and pp["spec"]["schedulerName"] == "default-scheduler"
    header = kubectl("get", "pp").stdout.splitlines()[0].split()
    assert header == ["NAME", "CONFLICT-RESOLUTION", "PRIORITY", "AGE"]
    assert "crd-propagation" in kubectl("get", "cpp").stdout
    assert "example-override" in kubectl("get", "op").stdout
    assert "example-cluster-override" in kubectl("get", "cop").stdout
    # Re-applying the unchanged file changes nothing; deleting a policy completes.
    assert "unchanged" in kubectl("apply", "-f", "-", stdin=POLICIES).stdout
    kubectl("delete", "pp", "nginx-propagation", "--timeout=20s")
    assert kubectl("get", "pp", "nginx-propagation", check=False).returncode != 0


def test_an_invalid_spread_constraint_is_422_naming_the_field(kubectl):
    result = kubectl("apply", "-f", "-", stdin=INVALID_SPREAD, check=False)
    assert result.returncode != 0
    assert "spec.placement.spreadConstraints[0]" in result.stderr
    assert "is invalid" in result.stderr


def test_unknown_fields_are_rejected_under_strict_validation(kubectl):
    typo = INVALID_SPREAD.replace("spreadConstraints:", "clusterAfinity: {}\n    spreadConstraints:").replace(
        "        spreadByLabel: example.com/rack\n", ""
    )
    result = kubectl("apply", "-f", "-", stdin=typo, check=False)
    assert result.returncode != 0 and 'unknown field "spec.placement.clusterAfinity"' in result.stderr


def test_explain_reads_the_karmada_schemas(kubectl):
    explained = kubectl("explain", "propagationpolicy.spec.placement").stdout
    assert "KIND:       PropagationPolicy" in explained and "clusterAffinity" in explained
    assert "spreadConstraints" in explained


def test_clusters_and_bindings_are_served(kubectl):
    resources = kubectl("api-resources", "--api-group=work.karmada.io").stdout
    assert "resourcebindings" in resources and "works" in resources
    assert kubectl("get", "clusters").returncode == 0
    assert kubectl("get", "rb", "-A").returncode == 0


REPLACED_POLICY = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: replaced
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: replaced
  placement:
    clusterAffinity:
      clusterNames: [member1]
"""


def test_policies_are_replaced_only_naming_the_version_they_replace(karmadad, kubectl):
    """Karmada serves its policies as custom resources: a PUT without resourceVersion is refused, as
    kube-apiserver refuses it for every custom resource (``kubectl replace`` fills it in; a raw PUT does not)."""
    path = "/apis/policy.karmada.io/v1alpha1/namespaces/default/propagationpolicies/replaced"
    kubectl("create", "-f", "-", stdin=REPLACED_POLICY)
    client = Client(karmadad.api)
    try:
        policy = yaml.safe_load(REPLACED_POLICY)
        policy["spec"]["placement"]["clusterAffinity"]["clusterNames"] = ["member2"]
        status, refused = client.send_json("PUT", path, policy)
        assert (status, refused["reason"]) == (422, "Invalid"), refused
        assert refused["details"]["causes"] == [
            {
                "reason": "FieldValueInvalid",
                "message": "Invalid value: 0: must be specified for an update",
                "field": "metadata.resourceVersion",
            }
        ]
        current = json.loads(kubectl("get", "pp", "replaced", "-o", "json").stdout)
        policy["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        status, stored = client.send_json("PUT", path, policy)
        assert status == 200 and stored["spec"]["placement"]["clusterAffinity"]["clusterNames"] == ["member2"]
    finally:
        client.close()
        kubectl("delete", "pp", "replaced", "--ignore-not-found")
