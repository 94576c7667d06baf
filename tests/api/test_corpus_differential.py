"""The manifest corpus (``tests/api/corpus``) against karmadad and the test bed's kube-apiserver.

Every manifest is created with ``dryRun=All`` on both. They must agree on the decision (code and reason),
on the field paths of the causes when they refuse, and on the object they would store when they accept:
defaults and canonical quantities included, uid, times, resourceVersion, managedFields and allocated
addresses left out. Manifests named ``bad-...`` are the invalid ones: kube-apiserver must refuse them (and
accept the others), so a corpus mistake shows instead of passing for agreement.

The second half, ``*.updates.yaml``, holds update pairs: a manifest and, after ``---`` with a document
``update:``, what it becomes. The first is created for real on both sides, the second sent as an update
with ``dryRun=All`` (immutable fields, generation moves); then both are deleted. Status is left out of
the comparison there: the test bed's controllers fill it in.

The agreement rate of the whole corpus is printed at the end of the session.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from karmadad.api.builtin import BUILTIN_RESOURCES
from tests.api.rawhttp import Client

CORPUS = Path(__file__).parent / "corpus"
NAMESPACE = "default"
_RESOURCES = {(r.api_version, r.kind): r for r in BUILTIN_RESOURCES}

# Fields the two servers fill in differently by nature: identity, times, allocations.
_META_NOISE = ("uid", "creationTimestamp", "resourceVersion", "managedFields")
_SPEC_NOISE = ("clusterIP", "clusterIPs")
# Karmada's apiserver runs without the StorageObjectInUseProtection and ServiceAccount admission plugins
# (--disable-admission-plugins=StorageObjectInUseProtection,ServiceAccount), so karmadad adds neither the
# finalizers the test bed puts on PersistentVolumes and claims (nothing would ever take them off) nor a
# Pod's service account and its token volume (the member's own admission gives those).
_ADMISSION_FINALIZERS = frozenset({"kubernetes.io/pvc-protection", "kubernetes.io/pv-protection"})
_TOKEN_VOLUME = "kube-api-access-"


def _without_service_account_admission(spec: dict) -> None:
    for field in ("serviceAccountName", "serviceAccount"):
        if spec.get(field) == "default":
            del spec[field]
    volumes = [v for v in spec.get("volumes") or [] if not v.get("name", "").startswith(_TOKEN_VOLUME)]
    spec.pop("volumes", None)
    if volumes:
        spec["volumes"] = volumes
    for container in [*spec.get("containers", []), *spec.get("initContainers", [])]:
        mounts = [
            m for m in container.get("volumeMounts") or [] if not m.get("name", "").startswith(_TOKEN_VOLUME)
        ]
        container.pop("volumeMounts", None)
        if mounts:
            container["volumeMounts"] = mounts


def _documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _cases() -> dict[str, dict]:
    cases = {}
    for path in sorted(CORPUS.glob("*.yaml")):
        if path.name.endswith(".updates.yaml") or path.name == CRDS_FILE:
            continue
        for doc in _documents(path):
            case = f"{path.stem}/{doc['kind']}/{doc['metadata']['name']}"
            assert case not in cases, f"two manifests named {case}"
            cases[case] = doc
    return cases


def _update_pairs() -> dict[str, tuple[dict, dict]]:
    pairs = {}
    for path in sorted(CORPUS.glob("*.updates.yaml")):
        docs = _documents(path)
        for first, second in zip(docs[::2], docs[1::2], strict=True):
            case = f"{path.stem}/{first['metadata']['name']}"
            assert case not in pairs, f"two update pairs named {case}"
            pairs[case] = (first, second["update"])
    return pairs


CRDS_FILE = "crds.yaml"  # the CustomResourceDefinitions of the custom resources in the corpus
CASES = _cases()
PAIRS = _update_pairs()
CRDS = _documents(CORPUS / CRDS_FILE)
# (apiVersion, kind) of each served custom kind -> (plural, namespaced)
_CUSTOM = {
    (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"]): (
        crd["spec"]["names"]["plural"],
        crd["spec"]["scope"] == "Namespaced",
    )
    for crd in CRDS
    for version in crd["spec"]["versions"]
}


def _collection(doc: dict) -> str:
    key = (doc["apiVersion"], doc["kind"])
    if key in _CUSTOM:
        plural, namespaced = _CUSTOM[key]
        scope = f"/namespaces/{NAMESPACE}" if namespaced else ""
        return f"/apis/{doc['apiVersion']}{scope}/{plural}"
    resource = _RESOURCES[key]
    prefix = f"/apis/{resource.api_version}" if resource.group else "/api/v1"
    scope = f"/namespaces/{NAMESPACE}" if resource.namespaced else ""
    return f"{prefix}{scope}/{resource.plural}"


def _normalised(obj: dict) -> dict:
    """The stored object without what differs by nature; a generated Job selector's uid made ``<uid>``."""
    obj = json.loads(json.dumps(obj))
    meta = obj.get("metadata") or {}
    uid = meta.get("uid")
    for key in _META_NOISE:
        meta.pop(key, None)
    if finalizers := [f for f in meta.pop("finalizers", []) if f not in _ADMISSION_FINALIZERS]:
        meta["finalizers"] = finalizers
    spec = obj.get("spec")
    if isinstance(spec, dict):
        for key in _SPEC_NOISE:
            spec.pop(key, None)
    if isinstance(obj.get("status"), dict):
        obj["status"].pop("lastPhaseTransitionTime", None)
    if obj.get("kind") == "Pod" and isinstance(spec, dict):
        _without_service_account_admission(spec)
    text = json.dumps(obj)
    return json.loads(text.replace(uid, "<uid>")) if uid else obj


def _causes(answer: dict) -> set[tuple[str, str]]:
    """The (field, reason) of each cause: a set, as kube-apiserver repeats some causes on updates."""
    causes = (answer.get("details") or {}).get("causes") or []
    return {(c.get("field", ""), c.get("reason", "")) for c in causes}


class Tally:
    """How many cases agreed, for the session's summary line."""

    def __init__(self) -> None:
        self.agreed: dict[str, bool] = {}

    def record(self, case: str, agreed: bool) -> None:
        self.agreed[case] = agreed

    def line(self) -> str:
        total = len(self.agreed)
        good = sum(self.agreed.values())
        share = 100.0 * good / total if total else 0.0
        return f"corpus agreement with kube-apiserver: {good}/{total} cases ({share:.1f} %)"


TALLY = Tally()  # printed at the end of the session (tests/api/conftest.py's pytest_terminal_summary)


@pytest.fixture
def tally() -> Tally:
    return TALLY


CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def _established(client: Client, name: str) -> bool:
    _, crd = _send(client, "GET", f"{CRD_PATH}/{name}")
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


@pytest.fixture(scope="module")
def both(karmadad, kube_members) -> tuple[Client, Client]:
    """karmadad and a test bed kube-apiserver, both serving the corpus's CustomResourceDefinitions."""
    member = kube_members.member("member1")
    clients = Client(karmadad.api), Client(member.server.removeprefix("https://"), member.token)
    names = [crd["metadata"]["name"] for crd in CRDS]
    try:
        for client in clients:
            for crd in CRDS:
                status, answer = _send(client, "POST", CRD_PATH, crd)
                assert status == 201, answer
        deadline = time.monotonic() + 30
        while not all(_established(client, name) for client in clients for name in names):
            assert time.monotonic() < deadline, "the corpus CRDs were not established within 30 s"
            time.sleep(0.1)
        yield clients
    finally:
        for client in clients:
            for name in names:
                client.request("DELETE", f"{CRD_PATH}/{name}")
            client.close()


def _send(client: Client, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    status, raw = client.request(method, path, None if body is None else json.dumps(body).encode())
    return status, json.loads(raw)


def _compare(ours: tuple[int, dict], theirs: tuple[int, dict]) -> list[str]:
    """What differs between the two answers (nothing: they agree)."""
    (our_status, our_body), (their_status, their_body) = ours, theirs
    if our_status != their_status:
        return [
            f"code {our_status} != {their_status}: {json.dumps(our_body)[:800]} / {json.dumps(their_body)[:800]}"
        ]
    if our_status >= 400:
        problems = []
        if our_body.get("reason") != their_body.get("reason"):
            problems.append(f"reason {our_body.get('reason')} != {their_body.get('reason')}")
        if _causes(our_body) != _causes(their_body):
            problems.append(f"causes {our_body.get('message')!r} != {their_body.get('message')!r}")
        return problems
    mine, real = _normalised(our_body), _normalised(their_body)
    return [] if mine == real else [_difference(mine, real)]


def _difference(mine: Any, real: Any, path: str = "") -> str:
    """The first place two JSON values differ, for a readable failure."""
    if isinstance(mine, dict) and isinstance(real, dict):
        for key in sorted(set(mine) | set(real)):
            if mine.get(key, "<absent>") != real.get(key, "<absent>"):
                return _difference(mine.get(key, "<absent>"), real.get(key, "<absent>"), f"{path}.{key}")
    if isinstance(mine, list) and isinstance(real, list) and len(mine) == len(real):
        for index, (a, b) in enumerate(zip(mine, real, strict=True)):
            if a != b:
                return _difference(a, b, f"{path}[{index}]")
    return f"stored object differs at {path or '.'}: karmadad {json.dumps(mine)[:400]}, kube-apiserver {json.dumps(real)[:400]}"


@pytest.mark.parametrize("case", list(CASES))
def test_create_answers_as_kube_apiserver_does(both, tally, case):
    doc = CASES[case]
    path = f"{_collection(doc)}?dryRun=All"
    ours, theirs = (_send(client, "POST", path, doc) for client in both)
    refused = theirs[0] >= 400
    assert refused == doc["metadata"]["name"].startswith("bad-"), (
        f"corpus mistake: kube-apiserver said {theirs}"
    )
    problems = _compare(ours, theirs)
    tally.record(case, not problems)
    assert not problems, problems


def _replace(client: Client, item: str, body: dict) -> tuple[int, dict]:
    """A dry-run PUT of ``body`` over the newest version, retried when the test bed's controllers wrote
    meanwhile. What those controllers keep in the object (the Deployment controller's revision annotation)
    is carried over, and the answer's generation counts from the version replaced, so that a controller's
    write between the create and the PUT changes neither side's answer. (Unconditional updates are compared
    in test_unconditional_updates_answer_as_kube_apiserver_does.)"""
    answer: tuple[int, dict] = (0, {})
    for _ in range(5):
        _, current = _send(client, "GET", item)
        kept = {
            key: value
            for key, value in (current["metadata"].get("annotations") or {}).items()
            if key.startswith("deployment.kubernetes.io/")
        }
        meta = {**body["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]}
        if kept:
            meta["annotations"] = {**(meta.get("annotations") or {}), **kept}
        answer = _send(client, "PUT", f"{item}?dryRun=All", {**body, "metadata": meta})
        if answer[0] != 409:
            break
    status, stored = answer
    if status < 400 and "generation" in stored.get("metadata", {}):
        bumps = stored["metadata"]["generation"] - current["metadata"].get("generation", 1)
        stored = {**stored, "metadata": {**stored["metadata"], "generation": 1 + bumps}}
    return status, stored


# What the test bed's controllers keep in a workload's status that may not go down (kube-apiserver refuses
# a decrement): carried over into a status write, as a controller's own write would.
_CONTROLLER_COUNTERS = ("collisionCount",)


def _write_status(client: Client, item: str, status: dict) -> tuple[int, dict]:
    """A dry-run PUT of ``/status`` over the newest version (see :func:`_put_status`). The counters the test
    bed's controllers keep are carried over, so that their write between the create and the PUT changes
    neither side's answer."""

    def with_counters(current: dict) -> dict:
        return {**{key: current[key] for key in _CONTROLLER_COUNTERS if key in current}, **status}

    return _put_status(client, item, with_counters, "?dryRun=All")


def _put_status(client: Client, item: str, status_of: Any, query: str = "") -> tuple[int, dict]:
    """A PUT of ``/status`` over the newest version, ``status_of(current status)`` written, retried when the
    test bed's controllers wrote meanwhile (a 409 there says nothing about the write itself)."""
    answer: tuple[int, dict] = (0, {})
    for _ in range(5):
        _, stored = _send(client, "GET", item)
        answer = _send(
            client,
            "PUT",
            f"{item}/status{query}",
            {**stored, "status": status_of(stored.get("status") or {})},
        )
        if answer[0] != 409:
            break
    return answer


def _workload_named(corpus_name: str, name: str) -> tuple[dict, str]:
    """The corpus workload ``corpus_name`` renamed ``name``, and its item path."""
    workload = next(doc for doc in CASES.values() if doc["metadata"]["name"] == corpus_name)
    workload = {**workload, "metadata": {"name": name}}
    return workload, f"{_collection(workload)}/{name}"


def _spec_view(answer: tuple[int, dict]) -> tuple[int, dict]:
    """An update's answer without what controllers write into the test bed's copy meanwhile: status, and
    the Deployment controller's revision annotation."""
    status, body = answer
    if status >= 400:
        return answer
    body = {key: value for key, value in body.items() if key != "status"}
    meta = dict(body.get("metadata") or {})
    annotations = {
        k: v
        for k, v in (meta.get("annotations") or {}).items()
        if not k.startswith("deployment.kubernetes.io/")
    }
    meta.pop("annotations", None)
    if annotations:
        meta["annotations"] = annotations
    return status, {**body, "metadata": meta}


@pytest.mark.parametrize("case", list(PAIRS))
def test_update_answers_as_kube_apiserver_does(both, tally, case):
    first, second = PAIRS[case]
    collection = _collection(first)
    item = f"{collection}/{first['metadata']['name']}"
    try:
        created = [_send(client, "POST", collection, first) for client in both]
        assert [status for status, _ in created] == [201, 201], created
        ours, theirs = (_spec_view(_replace(client, item, second)) for client in both)
        assert (theirs[0] >= 400) == first["metadata"]["name"].startswith("bad-"), f"corpus mistake: {theirs}"
        problems = _compare(ours, theirs)
        tally.record(f"update {case}", not problems)
        assert not problems, problems
    finally:
        for client in both:
            client.request("DELETE", item)


@pytest.mark.parametrize("kind", ["Widget", "PodDisruptionBudget"])
def test_unconditional_updates_answer_as_kube_apiserver_does(both, kind):
    """A PUT without resourceVersion: taken for most kinds, refused for custom resources and a few built-ins."""
    first = next(
        doc
        for doc in [*CASES.values()]
        if doc["kind"] == kind and not doc["metadata"]["name"].startswith("bad-")
    )
    first = {**first, "metadata": {**first["metadata"], "name": f"unconditional-{kind.lower()}"}}
    collection = _collection(first)
    item = f"{collection}/{first['metadata']['name']}"
    try:
        for client in both:
            assert _send(client, "POST", collection, first)[0] == 201
        ours, theirs = (_send(client, "PUT", f"{item}?dryRun=All", first) for client in both)
        assert not _compare(_spec_view(ours), _spec_view(theirs)), (ours, theirs)
        assert theirs[0] == 422 and ours[1]["message"] == theirs[1]["message"]
    finally:
        for client in both:
            client.request("DELETE", item)


def test_a_custom_resources_scale_and_versions_answer_as_kube_apiserver_does(both):
    """The Widget CRD's scale subresource (its own replicas paths) and its second served version, read from
    the same object: the same answers on both sides."""
    widget = {
        "apiVersion": "corpus.example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "scaled"},
        "spec": {"size": 2, "replicas": 3},
    }
    item = f"{_collection(widget)}/scaled"
    try:
        created = [_send(client, "POST", _collection(widget), widget) for client in both]
        assert [status for status, _ in created] == [201, 201], created
        for client, (_, stored) in zip(both, created, strict=True):
            status = {"replicas": 1}
            body = {**stored, "status": status}
            assert _send(client, "PUT", f"{item}/status", body)[0] == 200
        scales = [_send(client, "GET", f"{item}/scale") for client in both]
        (_, ours), (_, theirs) = scales
        assert (
            (ours["spec"], ours["status"])
            == (theirs["spec"], theirs["status"])
            == ({"replicas": 3}, {"replicas": 1})
        )
        scaled = [
            _send(client, "PUT", f"{item}/scale", {**scale, "spec": {"replicas": 5}})
            for client, (_, scale) in zip(both, scales, strict=True)
        ]
        assert [status for status, _ in scaled] == [200, 200], scaled
        read = [_send(client, "GET", item) for client in both]
        assert [obj["spec"]["replicas"] for _, obj in read] == [5, 5]
        beta = item.replace("/v1/", "/v1beta1/")
        (_, ours), (_, theirs) = (_send(client, "GET", beta) for client in both)
        assert ours["apiVersion"] == theirs["apiVersion"] == "corpus.example.com/v1beta1"
        assert _normalised(ours)["spec"] == _normalised(theirs)["spec"]
    finally:
        for client in both:
            client.request("DELETE", item)


STATUS_WRITES = {
    "counts above replicas": (
        "recreate",
        {"replicas": 1, "readyReplicas": 2, "availableReplicas": 3, "updatedReplicas": -1},
    ),
    "plain": (
        "recreate",
        {"replicas": 0, "observedGeneration": 1, "conditions": [{"type": "Available", "status": "True"}]},
    ),
    "stateful counts": (
        "partitioned",
        {"replicas": 1, "readyReplicas": 1, "availableReplicas": 2, "currentReplicas": -1},
    ),
    "daemon counts": ("ondelete", {"numberReady": -1, "desiredNumberScheduled": 2, "numberMisscheduled": 0}),
}
# Status writes over a status written first for real (the controllers' collision counter set to 2).
COUNTER_WRITES = {
    "collisions lowered": ("recreate", {"replicas": 0, "collisionCount": 1}),
    "collisions dropped": ("partitioned", {"replicas": 0}),
    "collisions raised": ("ondelete", {"numberReady": 0, "collisionCount": 3}),
}


@pytest.mark.parametrize("case", list(STATUS_WRITES))
def test_status_writes_answer_as_kube_apiserver_does(both, case):
    """A write of a workload's ``/status``: decoded and checked as kube-apiserver's status strategy does."""
    name, status = STATUS_WRITES[case]
    workload, item = _workload_named(name, f"status-{case.replace(' ', '-')}")
    try:
        created = [_send(client, "POST", _collection(workload), workload) for client in both]
        assert [code for code, _ in created] == [201, 201], created
        written = [_write_status(client, item, status) for client in both]
        (our_code, ours), (their_code, theirs) = written
        assert our_code == their_code, written
        if our_code >= 400:
            assert _causes(ours) == _causes(theirs), written
            assert ours["message"] == theirs["message"], written
        else:
            assert ours["status"] == theirs["status"], written
    finally:
        for client in both:
            client.request("DELETE", item)


@pytest.mark.parametrize("case", list(COUNTER_WRITES))
def test_the_collision_counter_only_grows_as_on_kube_apiserver(both, case):
    """kube-apiserver refuses a status write that lowers a workload's collisionCount, or leaves it out."""
    name, status = COUNTER_WRITES[case]
    workload, item = _workload_named(name, f"counter-{case.replace(' ', '-')}")
    try:
        for client in both:
            assert _send(client, "POST", _collection(workload), workload)[0] == 201
            assert _put_status(client, item, lambda current: {**current, "collisionCount": 2})[0] == 200
        written = [_put_status(client, item, lambda _current: status, "?dryRun=All") for client in both]
        (our_code, ours), (their_code, theirs) = written
        assert our_code == their_code, written
        if our_code >= 400:
            assert _causes(ours) == _causes(theirs) == {("status.collisionCount", "FieldValueInvalid")}, (
                written
            )
            assert ours["message"] == theirs["message"], written
        else:
            assert ours["status"]["collisionCount"] == theirs["status"]["collisionCount"] == 3
    finally:
        for client in both:
            client.request("DELETE", item)


def _crd_with_rules(name: str, rules: list[dict]) -> dict:
    spec_schema = {
        "type": "object",
        "x-kubernetes-validations": rules,
        "properties": {"a": {"type": "integer"}},
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{name}s.corpus.example.com"},
        "spec": {
            "group": "corpus.example.com",
            "names": {"kind": name.capitalize(), "plural": f"{name}s"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": spec_schema}}},
                }
            ],
        },
    }


BAD_CRDS = {
    "a rule that does not parse": _crd_with_rules("unparsed", [{"rule": "self.a >"}, {"rule": "self.a > 1"}]),
    "a field path to nothing": _crd_with_rules("pathless", [{"rule": "self.a > 1", "fieldPath": ".nope"}]),
    "a field path that is no path": _crd_with_rules("dotted", [{"rule": "self.a > 1", "fieldPath": "."}]),
}


@pytest.mark.parametrize("case", list(BAD_CRDS))
def test_a_crd_with_broken_rules_is_refused_as_kube_apiserver_refuses_it(both, case):
    answers = [_send(client, "POST", f"{CRD_PATH}?dryRun=All", BAD_CRDS[case]) for client in both]
    (our_status, ours), (their_status, theirs) = answers
    assert our_status == their_status == 422, answers
    assert _causes(ours) == _causes(theirs), answers
