"""What a Work's status says, decided from what applying it found: the Applied and Dispatching conditions
(Karmada's types, reasons and messages) and one ``manifestStatuses`` entry per manifest held by the member;
and what its binding's status says of its Works (``aggregatedStatus``, ``FullyApplied``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from karmadad.api.conditions import condition, with_condition
from karmadad.api.karmada import shapes
from karmadad.api.karmada.names import execution_space
from karmadad.api.karmada.work import CONDITION_APPLIED, CONDITION_DISPATCHING, CONDITION_FULLY_APPLIED
from karmadad.api.registry import ResourceType
from karmadad.interpreter.health import interpret_health
from karmadad.interpreter.status import reflect_status

# (reason, message) of the Dispatching condition, also the WorkDispatching Event's message: Karmada's words
DISPATCHING = ("Dispatching", "Work is being dispatched to member clusters.")
DISPATCHING_SUSPENDED = ("SuspendDispatching", "Work dispatching is in a suspended state.")


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


def aggregated_item(cluster: str, work: dict | None) -> shapes.AggregatedStatusItem:
    """One ``aggregatedStatus`` entry from a Work's status, as Karmada writes it."""
    status = (work or {}).get("status") or {}
    applied = next((c for c in status.get("conditions") or () if c.get("type") == "Applied"), None)
    manifests = status.get("manifestStatuses") or []
    item: shapes.AggregatedStatusItem = {
        "clusterName": cluster,
        "applied": applied is not None and applied.get("status") == "True",
        "health": manifests[0].get("health", "Unknown") if manifests else "Unknown",
    }
    if manifests and manifests[0].get("status") is not None:
        item["status"] = manifests[0]["status"]
    if applied is not None and applied.get("status") != "True" and applied.get("message"):
        item["appliedMessage"] = applied["message"]
    return item


def aggregated_status(status: dict, targets: list[str], works: Mapping[str, dict]) -> dict:
    """The binding's ``status`` with ``aggregatedStatus`` (one item per target cluster, by name) and the
    ``FullyApplied`` condition as Karmada writes them, from its Works (by execution space)."""
    items = sorted(
        (aggregated_item(name, works.get(execution_space(name))) for name in targets),
        key=lambda i: i["clusterName"],
    )
    fully = bool(items) and all(i["applied"] for i in items)
    fully_applied = condition(
        status.get("conditions") or (),
        CONDITION_FULLY_APPLIED,
        fully,
        "FullyAppliedSuccess" if fully else "FullyAppliedFailed",
        "All works have been successfully applied"
        if fully
        else "Failed to apply all works, see status.aggregatedStatus for details",
    )
    new = {k: v for k, v in status.items() if k != "aggregatedStatus"}
    if items:
        new["aggregatedStatus"] = items
    new["conditions"] = with_condition(status.get("conditions"), fully_applied)
    return new
