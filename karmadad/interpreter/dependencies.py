"""What else a resource needs in a member cluster to work there (Karmada's ``InterpretDependency``).

With ``propagateDeps`` a policy propagates, along with a workload, the ConfigMaps, Secrets, PVCs and
ServiceAccount its pods reference, to the same clusters — otherwise the pods would not start there.
Karmada's default interpreter (``default/native/dependencies.go``, ``helper/pod.go``) reads a pod spec
(a Pod's own, or the template of a Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob):

- ConfigMaps: ``envFrom`` and ``env[].valueFrom.configMapKeyRef`` of every container (init, regular,
  ephemeral), ``configMap`` and ``projected`` volumes;
- Secrets: ``imagePullSecrets``, ``envFrom`` and ``env[].valueFrom.secretKeyRef``, ``secret`` and
  ``projected`` volumes, and the secret references of volume plugins (azureFile, cephfs, cinder,
  flexVolume, rbd, scaleIO, iscsi, storageos, csi);
- the ServiceAccount, unless empty or ``default``;
- PVCs of ``persistentVolumeClaim`` volumes — for a StatefulSet not those named after one of its
  ``volumeClaimTemplates`` (the member's controller creates those).

All in the workload's namespace, grouped ConfigMaps, Secrets, ServiceAccount, PVCs, each group without
duplicates (Karmada's order within a group is a Go map's; here it is sorted), empty names skipped. An
Ingress needs the Secret of each ``tls`` entry, in order; a ServiceImport the Service derived from it
(``derived-<name>``) and its EndpointSlices. Other kinds need nothing.

A dependency with neither name nor selector (an Ingress ``tls`` entry without ``secretName``) fails the
whole answer, as in Karmada.
"""

from __future__ import annotations

from collections.abc import Iterator

_POD_TEMPLATE_KINDS = {
    ("apps/v1", "Deployment"): ("spec", "template", "spec"),
    ("apps/v1", "ReplicaSet"): ("spec", "template", "spec"),
    ("apps/v1", "StatefulSet"): ("spec", "template", "spec"),
    ("apps/v1", "DaemonSet"): ("spec", "template", "spec"),
    ("batch/v1", "Job"): ("spec", "template", "spec"),
    ("batch/v1", "CronJob"): ("spec", "jobTemplate", "spec", "template", "spec"),
    ("v1", "Pod"): ("spec",),
}
_INGRESS = ("networking.k8s.io/v1", "Ingress")
_SERVICE_IMPORT = ("multicluster.x-k8s.io/v1alpha1", "ServiceImport")
_SERVICE_NAME_LABEL = "kubernetes.io/service-name"
# volume plugins whose secret reference is an object with a name
_SECRET_REF_PLUGINS = ("cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos")
# the order Karmada looks for a volume's source in (the first present wins)
_VOLUME_SOURCES = (
    "azureFile",
    "cephfs",
    "cinder",
    "flexVolume",
    "projected",
    "rbd",
    "secret",
    "scaleIO",
    "iscsi",
    "storageos",
    "csi",
)


def _get(obj: object, key: str) -> dict:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


def _items(obj: object, key: str) -> list[dict]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _containers(spec: dict) -> Iterator[dict]:
    yield from _items(spec, "initContainers")
    yield from _items(spec, "containers")
    yield from _items(spec, "ephemeralContainers")


def _env_refs(spec: dict, source: str, key_ref: str) -> Iterator[str]:
    for container in _containers(spec):
        for env in _items(container, "envFrom"):
            if env.get(source) is not None:
                yield _get(env, source).get("name") or ""
        for env in _items(container, "env"):
            if _get(env, "valueFrom").get(key_ref) is not None:
                yield _get(_get(env, "valueFrom"), key_ref).get("name") or ""


def _volume_source(volume: dict) -> tuple[str, dict]:
    for source in _VOLUME_SOURCES:
        if volume.get(source) is not None:
            return source, _get(volume, source)
    return "", {}


def _config_maps(spec: dict) -> Iterator[str]:
    yield from _env_refs(spec, "configMapRef", "configMapKeyRef")
    for volume in _items(spec, "volumes"):
        if volume.get("projected") is not None:
            for projection in _items(_get(volume, "projected"), "sources"):
                if projection.get("configMap") is not None:
                    yield _get(projection, "configMap").get("name") or ""
        elif volume.get("configMap") is not None:
            yield _get(volume, "configMap").get("name") or ""


def _secrets(spec: dict) -> Iterator[str]:
    for reference in _items(spec, "imagePullSecrets"):
        yield reference.get("name") or ""
    yield from _env_refs(spec, "secretRef", "secretKeyRef")
    for volume in _items(spec, "volumes"):
        source, body = _volume_source(volume)
        if source == "azureFile":
            yield body.get("secretName") or ""
        elif source in _SECRET_REF_PLUGINS:
            if body.get("secretRef") is not None:
                yield _get(body, "secretRef").get("name") or ""
        elif source == "projected":
            for projection in _items(body, "sources"):
                if projection.get("secret") is not None:
                    yield _get(projection, "secret").get("name") or ""
        elif source == "secret":
            yield body.get("secretName") or ""
        elif source == "csi" and body.get("nodePublishSecretRef") is not None:
            yield _get(body, "nodePublishSecretRef").get("name") or ""


def _claims(spec: dict) -> Iterator[str]:
    for volume in _items(spec, "volumes"):
        if volume.get("persistentVolumeClaim") is not None:
            yield _get(volume, "persistentVolumeClaim").get("claimName") or ""


def _ref(kind: str, namespace: str, name: str, api_version: str = "v1") -> dict:
    return {"apiVersion": api_version, "kind": kind, "namespace": namespace, "name": name}


def pod_dependencies(spec: dict, namespace: str, skip_claims: frozenset[str] = frozenset()) -> list[dict]:
    """ConfigMaps, Secrets, ServiceAccount and PVCs a pod spec references (see the module docstring)."""
    account = spec.get("serviceAccountName") or ""
    groups = (
        ("ConfigMap", set(_config_maps(spec))),
        ("Secret", set(_secrets(spec))),
        ("ServiceAccount", {account} - {"default"}),
        ("PersistentVolumeClaim", set(_claims(spec)) - skip_claims),
    )
    return [_ref(kind, namespace, name) for kind, names in groups for name in sorted(names - {""})]


def _invalid(dependencies: list[dict]) -> list[str]:
    problems = []
    for index, dependency in enumerate(dependencies):
        if not dependency.get("name") and dependency.get("labelSelector") is None:
            problems.append(
                f"dependencies[{index}]: dependency can not leave name and labelSelector all empty"
            )
    return problems


def has_dependency_rule(obj: dict) -> bool:
    """Whether Karmada's default interpreter reads dependencies from this kind (``InterpretDependency``)."""
    identity = (obj.get("apiVersion"), obj.get("kind"))
    return identity in _POD_TEMPLATE_KINDS or identity in (_INGRESS, _SERVICE_IMPORT)


def get_dependencies(obj: dict) -> list[dict]:
    """``{apiVersion, kind, namespace, name}`` (or ``labelSelector`` instead of a name) of each object
    ``obj`` depends on; raises ValueError when one has neither name nor selector."""
    identity = (obj.get("apiVersion"), obj.get("kind"))
    namespace = _get(obj, "metadata").get("namespace") or ""
    if identity in _POD_TEMPLATE_KINDS:
        spec: dict = obj
        for key in _POD_TEMPLATE_KINDS[identity]:
            spec = _get(spec, key)
        skip: frozenset[str] = frozenset()
        if identity == ("apps/v1", "StatefulSet"):
            templates = _items(_get(obj, "spec"), "volumeClaimTemplates")
            skip = frozenset(_get(t, "metadata").get("name") or "" for t in templates)
        dependencies = pod_dependencies(spec, namespace, skip)
    elif identity == _INGRESS:
        dependencies = [
            _ref("Secret", namespace, tls.get("secretName") or "") for tls in _items(_get(obj, "spec"), "tls")
        ]
    elif identity == _SERVICE_IMPORT:
        derived = f"derived-{_get(obj, 'metadata').get('name') or ''}"
        dependencies = [
            _ref("Service", namespace, derived),
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "namespace": namespace,
                "labelSelector": {"matchLabels": {_SERVICE_NAME_LABEL: derived}},
            },
        ]
    else:
        return []
    if problems := _invalid(dependencies):
        raise ValueError("; ".join(problems))
    return dependencies
