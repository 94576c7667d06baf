"""Which namespaces are neither templates' nor auto-propagated: Karmada's reserved ones and the
``skippedPropagatingNamespaces`` patterns (Karmada's ``--skipped-propagating-namespaces``, default ``kube-.*``)."""

from __future__ import annotations

import pytest

from karmadad.config import ConfigError, parse_config
from karmadad.controllers.namespace import propagated
from karmadad.propagation.claims import SkippedNamespaces, is_skipped_namespace


@pytest.mark.parametrize(
    ("namespace", "skipped"),
    [
        ("karmada-system", True),
        ("karmada-cluster", True),
        ("karmada-es-member1", True),
        ("kube-system", True),
        ("kube-", True),
        ("karmada-demo", False),
        ("karmada-systems", False),
        ("default", False),  # its objects are templates; the namespace itself is not propagated
        ("my-kube-apps", False),  # patterns match whole names
        ("teams", False),
    ],
)
def test_karmadas_default(namespace, skipped):
    assert is_skipped_namespace(namespace) is skipped


def test_patterns_of_ones_own_replace_the_default_and_match_whole_names():
    skipped = SkippedNamespaces.of(["team-.*", "legacy"])
    assert skipped("team-a") and skipped("legacy") and skipped("karmada-es-x")
    assert not skipped("legacy-2") and not skipped("kube-system")


@pytest.mark.parametrize(
    ("name", "labels", "expected"),
    [
        ("karmada-demo", {}, True),
        ("default", {}, False),
        ("kube-public", {}, False),
        ("karmada-system", {}, False),
        ("teams", {"namespace.karmada.io/skip-auto-propagation": "true"}, False),
        ("teams", {"namespace.karmada.io/skip-auto-propagation": "True"}, False),  # Karmada lowercases it
        ("teams", {"namespace.karmada.io/skip-auto-propagation": "false"}, True),
    ],
)
def test_which_namespaces_follow_to_the_members(name, labels, expected):
    assert propagated({"metadata": {"name": name, "labels": labels}}) is expected


def test_a_bad_pattern_is_refused_with_its_place():
    with pytest.raises(ConfigError) as caught:
        parse_config({"skippedPropagatingNamespaces": ["kube-.*", "team-("]})
    assert any("skippedPropagatingNamespaces[1]" in problem for problem in caught.value.problems)
