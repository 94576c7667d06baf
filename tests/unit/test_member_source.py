"""A member's LIST answer reads as its watch events do."""

from karmadad.members.source import typed_items


def test_listed_items_get_the_api_version_and_kind_their_list_names():
    listed = {"apiVersion": "apps/v1", "kind": "DeploymentList", "items": [{"metadata": {"name": "a"}}]}
    assert typed_items(listed) == [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}}]
    core = {
        "apiVersion": "v1",
        "kind": "PodList",
        "items": [{"kind": "Pod", "apiVersion": "v1", "metadata": {}}],
    }
    assert typed_items(core) == core["items"]
    assert typed_items({"items": [{"metadata": {}}]}) == [{"metadata": {}}], "no list kind: left as they are"
