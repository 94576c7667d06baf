"""What a Work's status says, decided from what applying it found: the Applied and Dispatching conditions
(Karmada's types, reasons and messages) and one ``manifestStatuses`` entry per manifest held by the member.
"""

from __future__ import annotations

from typing import cast

from karmadad.api.conditions import condition
from karmadad.api.karmada import shapes
from karmadad.api.karmada.work import CONDITION_APPLIED, CONDITION_DISPATCHING
from karmadad.api.registry import ResourceType
from karmadad.interpreter.health import interpret_health
from karmadad.interpreter.status import reflect_status

# (reason, message) of the Dispatching condition, also the WorkDispatching Event's message: Karmada's words
DISPATCHING = ("Dispatching", "Work is being dispatched to member clusters.")
DISPATCHING_SUSPENDED = ("SuspendDispatching", "Work dispatching is in a suspended state.")


def is_applied(conditions: list[dict]) -> bool:
    return any(c.get("type") == CONDITION_APPLIED and c.get("status") == "True" for c in conditions)


def dispatching_change(conditions: list[dict], *, suspended: bool) -> list[shapes.Condition]:
    """The ``Dispatching`` condition to write, when it is missing or its status flips (Karmada writes and
    tells it only then); none while it holds."""
    wanted = "False" if suspended else "True"
    if any(c.get("type") == CONDITION_DISPATCHING and c.get("status") == wanted for c in conditions):
        return []
    reason, message = DISPATCHING_SUSPENDED if suspended else DISPATCHING
    return [condition(conditions, CONDITION_DISPATCHING, not suspended, reason, message)]


def applied_condition(
    conditions: list[dict], total: int, failures: list[str], *, tried: bool
) -> shapes.Condition:
    """The Applied condition after a look at the Work's ``total`` manifests that found ``failures``.
    ``tried``: the manifests were compared with the member (else only their status was read back, and a
    failure already told stands as it was told)."""
    previous = next((c for c in conditions if c.get("type") == CONDITION_APPLIED), None)
    if failures and not tried and previous is not None:
        return cast(shapes.Condition, previous)  # as stored: the API checked it against the same shape
    if failures:
        applied = total - len(failures)
        message = f"Failed to apply all manifests ({applied}/{total}): {'; '.join(failures)}"
        return condition(conditions, CONDITION_APPLIED, False, "AppliedFailed", message)
    return condition(conditions, CONDITION_APPLIED, True, "AppliedSuccessful", "Manifest has been successfully applied")  # fmt: skip


def manifest_status(
    ordinal: int, resource: ResourceType, manifest: dict, observed: dict
) -> shapes.ManifestStatus:
    """The ``manifestStatuses`` entry of the member object ``observed``: which manifest, its health, and its
    status as the interpreter reflects it."""
    meta = manifest.get("metadata") or {}
    identifier: shapes.ResourceIdentifier = {
        "ordinal": ordinal,
        "group": resource.group,
        "version": resource.version,
        "kind": resource.kind,
        "resource": resource.plural,
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
    }
    entry: shapes.ManifestStatus = {"identifier": identifier, "health": interpret_health(observed)}
    reflected = reflect_status(observed)
    if reflected is not None:
        entry["status"] = reflected
    return entry
