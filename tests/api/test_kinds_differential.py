"""The built-in kinds against karmadad and against the test bed's kube-apiserver: the same discovery
(aggregated and per group version), the same ``kubectl api-resources``, the same ``kubectl get -o wide``
tables, the same autoscaling/v1 view of HorizontalPodAutoscalers, the same refusals of invalid objects;
and a manifest of every kind goes through kubectl's everyday verbs with default flags.

Both sides get the same objects (one of each kind, in a namespace of this module, cluster-scoped ones
named after it), labelled so that each ``kubectl get`` shows only them. Objects are chosen so that their
cells do not wait on controllers (Deployments of 0 replicas, Pods no node fits, suspended Jobs); the few
cells a kube-apiserver's controllers fill in anyway are named in ``CONTROLLED``.
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from karmadad.api.strategy import KARMADA_GROUPS  # the groups karmadad serves beyond kube-apiserver's
from tests.api.rawhttp import TOKEN

NS = "kinds-diff"
APPLY_NS = "kinds-apply"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
# Columns that hold times (they differ by the seconds between the two creations)...
TIMED = {"AGE", "CREATED AT"}
# ...and cells kube-apiserver's controllers fill in (karmadad runs none of them): a PersistentVolume
# becomes Available, a Job gets a generated selector and its Suspended condition, a ResourceQuota's usage
# is counted.
CONTROLLED = {
    "persistentvolumes": {"STATUS"},
    "jobs.v1.batch": {"STATUS", "SELECTOR"},
    "resourcequotas": {"REQUEST", "LIMIT"},
}
POD_SPEC = (
    "{containers: [{name: app, image: registry.k8s.io/pause:3.10}, {name: side, image: busybox:1.36}], "
    "nodeSelector: {kinds-diff: nowhere}}"
)


def manifest(ns: str) -> str:
    """One object of every kind the test covers; cluster-scoped ones are named after ``ns``."""
    meta = f"namespace: {ns}, labels: {{kinds-diff: {ns}}}"
    cluster_meta = f"labels: {{kinds-diff: {ns}}}"
    template = f"spec: {POD_SPEC}"
    return f"""
apiVersion: v1
kind: ServiceAccount
metadata: {{name: kd-sa, {meta}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: kd-cm, {meta}}}
data: {{a: "1", b: "2"}}
binaryData: {{c: aGk=}}
---
apiVersion: v1
kind: Secret
metadata: {{name: kd-secret, {meta}}}
type: example.com/custom
stringData: {{user: me, password: secret}}
---
apiVersion: v1
kind: Service
metadata: {{name: kd-svc, {meta}}}
spec: {{clusterIP: None, ports: [{{name: http, port: 80, targetPort: 8080}}, {{name: dns, port: 53, protocol: UDP}}]}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: kd-pvc, {meta}}}
spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}, storageClassName: kd-missing}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {{name: {ns}-pv, {cluster_meta}}}
spec:
  capacity: {{storage: 2Gi}}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: {ns}-sc
  hostPath: {{path: /tmp/{ns}}}
---
apiVersion: v1
kind: Event
metadata: {{name: kd-event, {meta}}}
involvedObject: {{kind: Pod, name: kd-pod, namespace: {ns}, fieldPath: "spec.containers{{app}}"}}
reason: Testing
message: " hello there "
type: Normal
source: {{component: kd-test, host: node-1}}
firstTimestamp: "2020-01-01T00:00:00Z"
lastTimestamp: "2020-01-02T00:00:00Z"
count: 3
---
apiVersion: v1
kind: LimitRange
metadata: {{name: kd-limits, {meta}}}
spec: {{limits: [{{type: Container, default: {{cpu: 500m}}}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: kd-pod, namespace: {ns}, labels: {{kinds-diff: {ns}, app: kd}}}}
spec: {{serviceAccountName: kd-sa, automountServiceAccountToken: false, {POD_SPEC[1:-1]}}}
---
apiVersion: v1
kind: Endpoints
metadata: {{name: kd-endpoints, {meta}}}
subsets: [{{addresses: [{{ip: 10.1.2.3}}, {{ip: 10.1.2.4}}], ports: [{{name: http, port: 8080}}]}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: kd-eps, {meta}}}
addressType: IPv4
endpoints: [{{addresses: [10.1.2.3]}}, {{addresses: [10.1.2.4]}}]
ports: [{{name: http, port: 8080, protocol: TCP}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: kd-deploy, {meta}}}
spec:
  replicas: 0
  selector: {{matchLabels: {{app: kd-deploy}}}}
  template: {{metadata: {{labels: {{app: kd-deploy}}}}, {template}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: kd-sts, {meta}}}
spec:
  replicas: 0
  serviceName: kd-svc
  selector: {{matchLabels: {{app: kd-sts}}}}
  template: {{metadata: {{labels: {{app: kd-sts}}}}, {template}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: kd-ds, {meta}}}
spec:
  selector: {{matchLabels: {{app: kd-ds}}}}
  template: {{metadata: {{labels: {{app: kd-ds}}}}, {template}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {{name: kd-rs, {meta}}}
spec:
  replicas: 0
  selector: {{matchLabels: {{app: kd-rs}}, matchExpressions: [{{key: tier, operator: NotIn, values: [db, cache]}}]}}
  template: {{metadata: {{labels: {{app: kd-rs}}}}, {template}}}
---
apiVersion: batch/v1
kind: Job
metadata: {{name: kd-job, {meta}}}
spec:
  suspend: true
  parallelism: 3
  manualSelector: true  # so that a PUT of the manifest as written keeps its selector (kubectl replace)
  selector: {{matchLabels: {{kd-job: {ns}}}}}
  template:
    metadata: {{labels: {{kd-job: {ns}}}}}
    spec: {{restartPolicy: Never, containers: [{{name: app, image: busybox:1.36}}]}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: kd-cron, {meta}}}
spec:
  schedule: "*/5 * * * *"
  suspend: true
  jobTemplate: {{spec: {{template: {{spec: {{restartPolicy: Never, containers: [{{name: app, image: busybox:1.36}}]}}}}}}}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {{name: {ns}-class, {cluster_meta}}}
spec: {{controller: example.com/ingress, parameters: {{apiGroup: k8s.example.com, kind: IngressParameters, name: kd}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: kd-ing, {meta}}}
spec:
  ingressClassName: {ns}-class
  tls: [{{hosts: [a.example.com], secretName: kd-secret}}]
  rules:
  - host: a.example.com
    http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: kd-svc, port: {{number: 80}}}}}}}}]}}
  - host: b.example.com
    http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: kd-svc, port: {{number: 80}}}}}}}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: kd-netpol, {meta}}}
spec:
  podSelector: {{matchLabels: {{app: kd}}, matchExpressions: [{{key: tier, operator: In, values: [web, api]}}]}}
  policyTypes: [Ingress]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: kd-role, {meta}}}
rules: [{{apiGroups: [""], resources: [configmaps], verbs: [get]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: kd-rb, {meta}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: kd-role}}
subjects:
- {{kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}}
- {{kind: Group, apiGroup: rbac.authorization.k8s.io, name: devs}}
- {{kind: ServiceAccount, name: kd-sa, namespace: {ns}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: "{ns}:reader", {cluster_meta}}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [list]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: "{ns}:reader", {cluster_meta}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "{ns}:reader"}}
subjects: [{{kind: Group, apiGroup: rbac.authorization.k8s.io, name: readers}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: kd-pdb, {meta}}}
spec: {{minAvailable: 50%, selector: {{matchLabels: {{app: kd}}}}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: kd-hpa, {meta}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: kd-deploy}}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - {{type: Pods, pods: {{metric: {{name: packets}}, target: {{type: AverageValue, averageValue: 1k}}}}}}
  - {{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}}}
  - {{type: Resource, resource: {{name: memory, target: {{type: AverageValue, averageValue: 100Mi}}}}}}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {{name: kd-hpa-v1, {meta}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: kd-deploy}}
  minReplicas: 2
  maxReplicas: 4
  targetCPUUtilizationPercentage: 70
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {{name: {ns}-sc, {cluster_meta}}}
provisioner: example.com/kinds-diff
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {{name: {ns}.example.com, {cluster_meta}}}
spec: {{attachRequired: false, podInfoOnMount: true, volumeLifecycleModes: [Persistent, Ephemeral],
        tokenRequests: [{{audience: aud-1}}, {{audience: aud-2}}]}}
---
apiVersion: storage.k8s.io/v1
kind: CSINode
metadata: {{name: {ns}-node, {cluster_meta}}}
spec: {{drivers: [{{name: {ns}.example.com, nodeID: node-1}}]}}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {{name: {ns}-pc, {cluster_meta}}}
value: 1000
preemptionPolicy: Never
description: for the kinds test
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: kd-lease, {meta}}}
spec: {{holderIdentity: kd-holder, leaseDurationSeconds: 30}}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {{name: {ns}-rc, {cluster_meta}}}
handler: kd-handler
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: gadgets.{ns}.example.com, {cluster_meta}}}
spec:
  group: {ns}.example.com
  names: {{kind: Gadget, plural: gadgets}}
  scope: Namespaced
  versions: [{{name: v1, served: true, storage: true,
               schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}}}]
---
apiVersion: v1
kind: ResourceQuota
metadata: {{name: kd-quota, {meta}}}
spec: {{hard: {{services.loadbalancers: "0", limits.memory: 1Gi}}}}
"""


_PLURALS = {
    "Endpoints": "endpoints",
    "Ingress": "ingresses",
    "IngressClass": "ingressclasses",
    "NetworkPolicy": "networkpolicies",
    "PriorityClass": "priorityclasses",
    "StorageClass": "storageclasses",
    "RuntimeClass": "runtimeclasses",
}


def plural(kind: str) -> str:
    return _PLURALS.get(kind, kind.lower() + "s")


def resource_names(text: str) -> list[str]:
    """kubectl's name for each kind of the manifest (``plural.version.group``; a core kind's plural)."""
    names = []
    for doc in yaml.safe_load_all(text):
        group, _, version = doc["apiVersion"].rpartition("/")
        name = f"{plural(doc['kind'])}.{version}.{group}" if group else plural(doc["kind"])
        if name not in names:
            names.append(name)
    return names


def columns(table: str) -> tuple[list[str], list[dict[str, str]]]:
    """A kubectl table's headers and rows (cells by header), cut at the headers' offsets."""
    lines = [line for line in table.splitlines() if line.strip() and not line.startswith("Warning:")]
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]
    names = [header[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)]
    rows = []
    for line in lines[1:]:
        cells = [line[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)]
        rows.append(dict(zip(names, cells, strict=True)))
    return names, rows


@pytest.fixture(scope="module")
def member_kubeconfig(kube_members) -> Path:
    return Path(kube_members.member("member1").kubeconfig)


@pytest.fixture(scope="module")
def both_sides(kubectl, member_kubeconfig):
    """The manifest applied (kubectl apply, default flags) to karmadad and to member1; removed after."""
    text = manifest(NS)
    sides = {"karmadad": None, "kube": member_kubeconfig}
    for kubeconfig in sides.values():
        kubectl("create", "namespace", NS, kubeconfig=kubeconfig)
        kubectl("apply", "-f", "-", stdin=text, kubeconfig=kubeconfig)
    yield sides
    for kubeconfig in sides.values():
        kubectl("delete", "-f", "-", "--wait=false", "--ignore-not-found", stdin=text, kubeconfig=kubeconfig)
        kubectl("delete", "namespace", NS, "--wait=false", kubeconfig=kubeconfig)


def api_resources(
    kubectl, kubeconfig: Path | None, *flags: str, client: str | None = None
) -> dict[tuple[str, str], dict[str, str]]:
    """``kubectl api-resources`` rows by (name, apiVersion)."""
    _, rows = columns(kubectl("api-resources", *flags, kubeconfig=kubeconfig, client=client).stdout)
    return {(row["NAME"], row["APIVERSION"]): row for row in rows}


@pytest.mark.parametrize("flags", [(), ("-o", "wide")], ids=["plain", "wide"])
def test_api_resources_list_the_built_in_kinds_as_kube_apiserver_does(
    kubectl, member_kubeconfig, flags, kubectl_release
):
    ours = api_resources(kubectl, None, *flags, client=kubectl_release)
    theirs = api_resources(kubectl, member_kubeconfig, *flags, client=kubectl_release)
    built_in = {key: row for key, row in ours.items() if key[1].split("/")[0] not in KARMADA_GROUPS}
    assert {"storageclasses", "priorityclasses", "leases", "endpointslices", "csidrivers"} <= {
        name for name, _ in built_in
    }
    assert {key: theirs.get(key) for key in built_in} == built_in


def test_kubectl_get_wide_shows_the_columns_and_cells_kube_apiserver_shows(
    kubectl, both_sides, kubectl_release
):
    differences = {}
    for resource in resource_names(manifest(NS)):
        tables = {
            side: kubectl(
                "get",
                resource,
                "-n",
                NS,
                "-l",
                f"kinds-diff={NS}",
                "-o",
                "wide",
                kubeconfig=kc,
                client=kubectl_release,
            ).stdout
            for side, kc in both_sides.items()
        }
        (ours, our_rows), (theirs, their_rows) = columns(tables["karmadad"]), columns(tables["kube"])
        skipped = TIMED | CONTROLLED.get(resource, set())
        compared = [
            [{name: cell for name, cell in row.items() if name not in skipped} for row in rows]
            for rows in (our_rows, their_rows)
        ]
        if not our_rows or ours != theirs or compared[0] != compared[1]:
            differences[resource] = tables
    assert differences == {}


def test_the_namespace_and_the_crd_tables(kubectl, both_sides):
    for args in (("namespace", NS), ("crd", f"gadgets.{NS}.example.com")):
        ours, theirs = (
            columns(kubectl("get", *args, "-o", "wide", kubeconfig=kc).stdout) for kc in both_sides.values()
        )
        assert ours[0] == theirs[0]
        assert [{k: v for k, v in row.items() if k not in TIMED} for row in ours[1]] == [
            {k: v for k, v in row.items() if k not in TIMED} for row in theirs[1]
        ]


# -- every kind with kubectl's everyday verbs, default flags -------------------------------------------


def _get(address: str, token: str, path: str, accept: str, **headers: str) -> tuple[int, dict, bytes]:
    """One GET over HTTPS: status, headers (lower-cased names) and body."""
    host, port = address.removeprefix("https://").rsplit(":", 1)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
    try:
        connection.request(
            "GET", path, headers={"Authorization": f"Bearer {token}", "Accept": accept, **headers}
        )
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def test_a_manifest_of_every_kind_goes_through_kubectls_verbs(kubectl, karmadad, tmp_path):
    path = tmp_path / "kinds.yaml"
    path.write_text(manifest(APPLY_NS))
    count = len(list(yaml.safe_load_all(path.read_text())))
    kubectl("create", "namespace", APPLY_NS)
    try:
        created = kubectl("apply", "-f", str(path)).stdout.splitlines()
        assert len(created) == count and all(line.endswith(" created") for line in created), created
        again = kubectl("apply", "-f", str(path)).stdout.splitlines()
        assert len(again) == count and not [line for line in again if line.endswith(" created")], again
        kubectl("label", "-f", str(path), "touched=yes")
        kubectl("replace", "-f", str(path))  # PUT of every object as written: without the label
        kubectl("annotate", "-f", str(path), "note=kept")
        applied = kubectl("apply", "--server-side", "-f", str(path)).stdout.splitlines()
        assert len(applied) == count and all(line.endswith(" serverside-applied") for line in applied)
        listed = json.loads(kubectl("get", "-f", str(path), "-o", "json").stdout)["items"]
        assert len(listed) == count
        assert all(o["metadata"]["annotations"]["note"] == "kept" for o in listed)
        assert not [o for o in listed if "touched" in o["metadata"].get("labels", {})]

        def watch(obj: dict) -> list[str]:
            group_version = obj["apiVersion"]
            prefix = f"/apis/{group_version}" if "/" in group_version else f"/api/{group_version}"
            where = f"/namespaces/{APPLY_NS}" if obj["metadata"].get("namespace") else ""
            query = f"watch=1&timeoutSeconds=1&fieldSelector=metadata.name={obj['metadata']['name']}"
            status, _, body = _get(
                karmadad.api, TOKEN, f"{prefix}{where}/{plural(obj['kind'])}?{query}", "*/*"
            )
            assert status == 200, body
            return [json.loads(line)["type"] for line in body.splitlines() if line.strip()]  # ends after 1 s

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(watch, listed)) == [["ADDED"]] * count
        deleted = kubectl("delete", "-f", str(path), "--wait=false").stdout.splitlines()
        assert len(deleted) == count
    finally:
        kubectl("delete", "-f", str(path), "--ignore-not-found", "--wait=false")
        kubectl("delete", "namespace", APPLY_NS, "--wait=false")


# -- discovery ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def discover(karmadad, kube_members):
    """GET a discovery path from both sides: {"karmadad": (status, headers, body), "kube": ...}."""
    member = kube_members.member("member1")

    def get(path: str, accept: str = "application/json", **headers: str) -> dict:
        return {
            "karmadad": _get(karmadad.api, TOKEN, path, accept, **headers),
            "kube": _get(member.server, member.token, path, accept, **headers),
        }

    return get


def _built_in(group: str) -> bool:
    return group not in KARMADA_GROUPS and not group.endswith(".example.com")


def _served_subresources(ours: dict, theirs: dict) -> dict:
    """kube-apiserver's entry, with only the subresources karmadad serves (pods/exec and the like are not)."""
    served = {s["subresource"] for s in ours.get("subresources", ())}
    kept = [s for s in theirs.get("subresources", ()) if s["subresource"] in served]
    return {k: v for k, v in theirs.items() if k != "subresources"} | ({"subresources": kept} if kept else {})


@pytest.mark.parametrize("path", ["/api", "/apis"])
def test_aggregated_discovery_is_kube_apiservers_for_the_built_in_kinds(discover, path):
    answers = discover(path, f"{AGGREGATED},application/json")
    (status, headers, body), (_, their_headers, their_body) = answers["karmadad"], answers["kube"]
    assert status == 200 and headers["content-type"] == their_headers["content-type"] == AGGREGATED
    ours, theirs = json.loads(body), json.loads(their_body)
    assert {k: v for k, v in ours.items() if k != "items"} == {
        k: v for k, v in theirs.items() if k != "items"
    }
    their_groups = {item["metadata"].get("name", ""): item for item in theirs["items"]}
    our_groups = [
        item["metadata"].get("name", "")
        for item in ours["items"]
        if _built_in(item["metadata"].get("name", ""))
    ]
    assert our_groups == [name for name in their_groups if name in our_groups]  # kube's order
    for item in ours["items"]:
        name = item["metadata"].get("name", "")
        if not _built_in(name):
            continue
        their_versions = {v["version"]: v for v in their_groups[name]["versions"]}
        assert [v["version"] for v in item["versions"]] == list(their_versions)
        for version in item["versions"]:
            theirs_by_name = {r["resource"]: r for r in their_versions[version["version"]]["resources"]}
            assert version["freshness"] == "Current"
            for resource in version["resources"]:
                assert resource == _served_subresources(resource, theirs_by_name[resource["resource"]])


def test_legacy_discovery_is_kube_apiservers_for_the_built_in_kinds(discover):
    groups = json.loads(discover("/apis")["karmadad"][2])["groups"]
    their_groups = json.loads(discover("/apis")["kube"][2])["groups"]
    ours = [g for g in groups if _built_in(g["name"])]
    assert ours == [g for g in their_groups if g["name"] in {o["name"] for o in ours}]
    for path in ["/api/v1", *(f"/apis/{v['groupVersion']}" for g in ours for v in g["versions"])]:
        answers = discover(path)
        mine, theirs = (json.loads(answers[side][2]) for side in ("karmadad", "kube"))
        their_entries = {entry["name"]: entry for entry in theirs["resources"]}
        assert [e["name"] for e in mine["resources"]] == [
            n for n in their_entries if n in {e["name"] for e in mine["resources"]}
        ]
        for entry in mine["resources"]:
            assert entry == their_entries[entry["name"]], path


def test_aggregated_discovery_revalidates_and_refuses_what_it_cannot_serve(discover):
    first = discover("/apis", AGGREGATED)["karmadad"]
    assert first[1]["etag"] and first[1]["vary"] == "Accept"
    protobuf_first = AGGREGATED.replace("application/json", "application/vnd.kubernetes.protobuf")
    assert discover("/apis", f"{protobuf_first},{AGGREGATED}")["karmadad"][2] == first[2]  # JSON, next choice
    again = discover("/apis", AGGREGATED, **{"If-None-Match": first[1]["etag"]})["karmadad"]
    assert again[0] == 304 and again[2] == b""
    for path, accept in (("/apis/apps", AGGREGATED), ("/apis", AGGREGATED.replace("v=v2", "v=v2beta1"))):
        answers = discover(path, accept)
        assert answers["karmadad"][0] == answers["kube"][0] == 406
        assert json.loads(answers["karmadad"][2])["reason"] == json.loads(answers["kube"][2])["reason"]


def test_kubectl_discovers_everything_with_two_requests(kubectl, tmp_path):
    """kubectl ≥ 1.30 asks /api and /apis for the aggregated form; served, it needs no group version."""
    verbose = kubectl("get", "storageclasses", f"--cache-dir={tmp_path}", "-v=6").stderr
    paths = re.findall(r'url="https://[^/]+(/[^"?]*)', verbose)
    assert paths == ["/api", "/apis", "/apis/storage.k8s.io/v1/storageclasses"]


# -- autoscaling/v1 ---------------------------------------------------------------------------------

HPA_V2 = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "kd-convert", "namespace": NS, "annotations": {"team": "blue"}},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "kd-deploy"},
        "minReplicas": 2,
        "maxReplicas": 5,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "500Mi"}},
            },
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
            },
            {
                "type": "Object",
                "object": {
                    "metric": {"name": "rps"},
                    "target": {"type": "AverageValue", "averageValue": "10k"},
                    "describedObject": {
                        "apiVersion": "networking.k8s.io/v1",
                        "kind": "Ingress",
                        "name": "main",
                    },
                },
            },
            {
                "type": "External",
                "external": {
                    "metric": {"name": "queue", "selector": {"matchLabels": {"q": "a"}}},
                    "target": {"type": "Value", "value": "30"},
                },
            },
            {
                "type": "ContainerResource",
                "containerResource": {
                    "name": "cpu",
                    "container": "app",
                    "target": {"type": "Utilization", "averageUtilization": 60},
                },
            },
        ],
        "behavior": {
            "scaleUp": {
                "stabilizationWindowSeconds": 0,
                "selectPolicy": "Max",
                "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}],
            },
            "scaleDown": {
                "stabilizationWindowSeconds": 100,
                "selectPolicy": "Min",
                "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}],
            },
        },
    },
}
_STATUS_ANNOTATIONS = (
    "autoscaling.alpha.kubernetes.io/conditions",
    "autoscaling.alpha.kubernetes.io/current-metrics",
)


def _comparable(obj: dict) -> dict:
    """What a write decides: the spec and the annotations, without the status kube's HPA controller writes
    (and v1 shows in annotations)."""
    annotations = obj["metadata"].get("annotations") or {}
    return {
        "annotations": {k: v for k, v in annotations.items() if k not in _STATUS_ANNOTATIONS},
        "spec": obj["spec"],
    }


def test_horizontal_pod_autoscalers_read_and_written_as_v1_as_kube_apiserver_converts_them(
    karmadad, kube_members, both_sides, kubectl
):
    """Written as v2 and read as v1 (the metrics v1 has no field for, and the behavior, in annotations),
    then written back as v1 and read as v2: the same objects on both sides."""
    member = kube_members.member("member1")
    clients = {"karmadad": (karmadad.api, TOKEN), "kube": (member.server, member.token)}
    base = f"/apis/autoscaling/%s/namespaces/{NS}/horizontalpodautoscalers"
    read: dict[str, list[dict]] = {}
    for side, kubeconfig in both_sides.items():
        kubectl("create", "-f", "-", stdin=json.dumps(HPA_V2), kubeconfig=kubeconfig)
        v1 = json.loads(_get(*clients[side], f"{base % 'v1'}/kd-convert", "application/json")[2])
        annotations = {k: v for k, v in v1["metadata"]["annotations"].items() if k not in _STATUS_ANNOTATIONS}
        back = {**v1, "metadata": {"name": "kd-convert-back", "namespace": NS, "annotations": annotations}}
        back["metadata"]["annotations"]["team"] = "green"
        back.pop("status", None)
        kubectl("create", "-f", "-", stdin=json.dumps(back), kubeconfig=kubeconfig)
        read[side] = [
            _comparable(json.loads(_get(*clients[side], f"{base % version}/{name}", "application/json")[2]))
            for version, name in (("v1", "kd-convert"), ("v2", "kd-convert-back"))
        ]
    assert read["karmadad"] == read["kube"]


# -- validation -------------------------------------------------------------------------------------

INVALID = {
    "a PersistentVolume without anything": "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: kd-invalid}\n",
    "a PersistentVolume of another capacity": (
        "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: kd-invalid}\n"
        "spec: {capacity: {cpu: '1'}, accessModes: [], hostPath: {path: /x}, nfs: {server: a, path: /b}}\n"
    ),
    "a StorageClass without a provisioner": (
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: kd-invalid}\n"
    ),
    "an IngressClass of no domain": (
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: kd-invalid}\n"
        "spec: {controller: Bad_Host/x}\n"
    ),
    "an EndpointSlice of an unknown address type": (
        f"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: kd-invalid, namespace: {NS}}}\n"
        "addressType: IPv5\n"
    ),
    "a RuntimeClass handler that is no label": (
        "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: kd-invalid}\nhandler: A_b\n"
    ),
    "a system PriorityClass": (
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: system-node-critical}\n"
        "value: 5\n"
    ),
    "an empty v1 HorizontalPodAutoscaler": (
        f"apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {{name: kd-invalid, namespace: {NS}}}\n"
    ),
    "a v2 HorizontalPodAutoscaler out of bounds": (
        f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: kd-invalid, namespace: {NS}}}\n"
        "spec: {scaleTargetRef: {apiVersion: a/b/c, kind: D/x, name: web}, maxReplicas: -1, minReplicas: 0}\n"
    ),
    "a Service named with dots": (
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: a.b, namespace: {NS}}}\nspec: {{ports: [{{port: 80}}]}}\n"
    ),
    "a ClusterRole named as a path": (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'Sys:Foo/x'}\n"
    ),
    "a Lease named as no subdomain": (
        f"apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: 'Lease:1', namespace: {NS}}}\n"
    ),
}


@pytest.mark.parametrize("manifest_text", list(INVALID.values()), ids=list(INVALID))
def test_invalid_objects_are_refused_as_kube_apiserver_refuses_them(kubectl, both_sides, manifest_text):
    refusals = {
        side: kubectl(
            "create", "--dry-run=server", "-f", "-", stdin=manifest_text, check=False, kubeconfig=kc
        )
        for side, kc in both_sides.items()
    }
    problems = {side: result.stderr.partition(" is invalid:")[2].strip() for side, result in refusals.items()}
    assert problems["kube"] and problems["karmadad"] == problems["kube"]


# -- custom resources' tables ----------------------------------------------------------------------------

WIDGETS = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.tables.example.com}
spec:
  group: tables.example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    - {name: Owner, type: string, jsonPath: .spec.owner, priority: 1}
    - {name: Absent, type: string, jsonPath: .spec.nothing, priority: 1}
  - name: v2
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"""
WIDGET = """
apiVersion: tables.example.com/{version}
kind: Widget
metadata: {{name: w-{version}, namespace: default}}
spec: {{size: 3, owner: ann}}
"""


def test_custom_resource_tables_are_kube_apiservers(kubectl, member_kubeconfig):
    """Name, then the CRD's columns where it puts them (Age among them, or Age alone when it lists none)."""
    sides = {"karmadad": None, "kube": member_kubeconfig}
    tables = {}
    try:
        for side, kubeconfig in sides.items():
            kubectl("apply", "-f", "-", stdin=WIDGETS, kubeconfig=kubeconfig)
            kubectl("wait", "--for=condition=established", "crd/widgets.tables.example.com", "--timeout=30s",
                    kubeconfig=kubeconfig)  # fmt: skip
            for version in ("v1", "v2"):
                kubectl("apply", "-f", "-", stdin=WIDGET.format(version=version), kubeconfig=kubeconfig)
            tables[side] = [
                columns(
                    kubectl(
                        "get",
                        f"widgets.{version}.tables.example.com",
                        "-o",
                        "wide",
                        "-n",
                        "default",
                        kubeconfig=kubeconfig,
                    ).stdout
                )
                for version in ("v1", "v2")
            ]
    finally:
        for kubeconfig in sides.values():
            kubectl("delete", "crd", "widgets.tables.example.com", "--ignore-not-found", "--wait=false",
                    kubeconfig=kubeconfig)  # fmt: skip
    for ours, theirs in zip(tables["karmadad"], tables["kube"], strict=True):
        assert ours[0] == theirs[0]
        assert [{k: v for k, v in row.items() if k not in TIMED} for row in ours[1]] == [
            {k: v for k, v in row.items() if k not in TIMED} for row in theirs[1]
        ]
    assert tables["kube"][0][0] == ["NAME", "SIZE", "AGE", "OWNER", "ABSENT"]
    assert tables["kube"][1][0] == ["NAME", "AGE"]
