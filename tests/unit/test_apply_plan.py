"""The execution controller's decisions, as pure functions: create, update, skip or abort a manifest in a
member; delete, release or leave its object when the Work goes; and a member's refusals read back into the
store's error classes."""

from __future__ import annotations

import pytest

from karmadad.errors import AlreadyExists, Conflict, Forbidden, InternalError, Invalid, NotFound, from_status
from karmadad.propagation.apply_plan import (
    Abort,
    Create,
    Delete,
    Leave,
    Release,
    Skip,
    Update,
    plan_apply,
    plan_removal,
)

MANIFEST = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cfg", "namespace": "shop", "labels": {"karmada.io/managed": "true"}},
    "data": {"k": "v"},
}


def member_copy(manifest: dict, **changes: object) -> dict:
    """``manifest`` as a member holds it: with the fields its API server adds."""
    meta = {
        **manifest["metadata"],
        "uid": "u-1",
        "resourceVersion": "41",
        "creationTimestamp": "2026-01-01T00:00:00Z",
    }
    return {**manifest, "metadata": meta, **changes}


def test_an_absent_object_is_created_from_the_manifest():
    assert plan_apply(MANIFEST, None, overwrite=False) == Create(MANIFEST)


def test_an_object_holding_every_field_of_the_manifest_is_left_as_it_is():
    assert plan_apply(MANIFEST, member_copy(MANIFEST), overwrite=False) == Skip()


def test_a_changed_object_is_updated_to_the_manifest_at_its_resource_version():
    observed = member_copy(MANIFEST, data={"k": "edited"})
    plan = plan_apply(MANIFEST, observed, overwrite=False)
    assert isinstance(plan, Update)
    assert plan.field == ".data.k"
    assert plan.final["data"] == {"k": "v"}
    assert plan.final["metadata"]["resourceVersion"] == "41"


def test_an_object_not_managed_by_karmadad_is_not_taken_unless_the_work_says_overwrite():
    foreign = member_copy(MANIFEST, data={"k": "theirs"})
    foreign["metadata"] = {**foreign["metadata"], "labels": {}}
    assert plan_apply(MANIFEST, foreign, overwrite=False) == Abort(
        "ConfigMap shop/cfg already exists in the member cluster and is not managed by karmadad "
        "(conflictResolution is Abort; set it to Overwrite to take the object over)"
    )
    taken = plan_apply(MANIFEST, foreign, overwrite=True)
    assert isinstance(taken, Update) and taken.final["data"] == {"k": "v"}
    assert taken.final["metadata"]["labels"] == {"karmada.io/managed": "true"}


def test_removal_deletes_karmadads_object_releases_it_when_preserved_and_leaves_anything_else():
    ours = member_copy(MANIFEST)
    ours["metadata"]["annotations"] = {"work.karmada.io/name": "w", "team": "a"}
    assert plan_removal(ours, preserve=False) == Delete()
    released = plan_removal(ours, preserve=True)
    assert isinstance(released, Release)
    assert released.kept["metadata"]["labels"] == {}
    assert released.kept["metadata"]["annotations"] == {"team": "a"}
    assert released.kept["metadata"]["resourceVersion"] == "41", "the release is a conditional write"
    foreign = {**ours, "metadata": {**ours["metadata"], "labels": {}}}
    assert plan_removal(foreign, preserve=False) == Leave()
    assert plan_removal(None, preserve=False) == Leave()


@pytest.mark.parametrize(
    ("code", "reason", "kind"),
    [(404, "NotFound", NotFound), (409, "AlreadyExists", AlreadyExists), (409, "Conflict", Conflict),
     (403, "Forbidden", Forbidden), (422, "Invalid", Invalid)],
)  # fmt: skip
def test_a_members_status_is_read_back_into_the_class_of_its_reason(code, reason, kind):
    answer = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": reason,
              "message": "configmaps \"cfg\" said no",
              "details": {"name": "cfg", "kind": "configmaps", "causes": [{"field": "data", "message": "bad", "reason": "FieldValueInvalid"}]}}  # fmt: skip
    error = from_status(code, answer)
    assert type(error) is kind
    assert error.status() == {**answer, "metadata": {}}


def test_an_answer_that_is_no_status_is_read_by_its_http_code():
    assert type(from_status(404, "404 page not found")) is NotFound
    assert from_status(404, "404 page not found").message == "404 page not found"
    assert type(from_status(418, {})) is InternalError
    assert from_status(418, {}).message == "HTTP 418"
