import io
import json
import logging

from karmadad.api.builtin import default_registry
from karmadad.api.karmada.resources import (
    CLUSTER_RESOURCE_BINDINGS,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    describe_karmada_key,
)
from karmadad.logs import configure_logging, describe_object, get_logger


def capture(fmt: str) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(format=fmt, level="debug", stream=stream)
    return stream


def test_text_lines_are_key_value_with_component():
    stream = capture("text")
    get_logger("scheduler").info(
        "placed", binding="default/web-deployment", clusters=["m1", "m2"], replicas=3
    )
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert " level=info component=scheduler msg=placed binding=default/web-deployment " in line
    assert 'clusters="[\\"m1\\", \\"m2\\"]" replicas=3' in line


def test_json_lines_parse_and_carry_fields():
    stream = capture("json")
    get_logger("cluster").warning("member unreachable", cluster="member1", attempt=2)
    event = json.loads(stream.getvalue())
    assert event["level"] == "warning" and event["component"] == "cluster"
    assert event["msg"] == "member unreachable" and event["cluster"] == "member1" and event["attempt"] == 2
    assert event["time"].endswith("Z")


def test_tracebacks_stay_on_one_line():
    for fmt in ("text", "json"):
        stream = capture(fmt)
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            get_logger("daemon").error("failed", exc_info=True)
        output = stream.getvalue()
        assert output.count("\n") == 1, output
        assert "ValueError" in output


def test_level_filters_and_library_loggers_keep_the_format():
    stream = io.StringIO()
    configure_logging(format="text", level="warning", stream=stream)
    get_logger("daemon").info("hidden")
    logging.getLogger("aiohttp.server").warning("library says")
    assert "hidden" not in stream.getvalue()
    assert "component=aiohttp.server" in stream.getvalue()


def test_fields_named_like_record_attributes_are_kept_not_fatal():
    stream = capture("json")
    get_logger("gc").info("deleting", name="web", msg_id=3)
    event = json.loads(stream.getvalue())
    assert event["name_"] == "web" and event["msg"] == "deleting"


def test_objects_are_named_kind_namespace_slash_name_or_kind_name_when_cluster_scoped():
    assert describe_object("Deployment", "shop", "web") == "Deployment shop/web"
    assert describe_object("Cluster", "", "member1") == "Cluster member1"
    stream = capture("text")
    get_logger("binding").debug("retrying", key=describe_object("ResourceBinding", "shop", "web-deployment"))
    assert 'key="ResourceBinding shop/web-deployment"' in stream.getvalue()


def test_karmada_keys_are_named_by_their_kind_and_templates_by_the_registry():
    assert (
        describe_karmada_key((RESOURCE_BINDINGS, "shop", "web-deployment"))
        == "ResourceBinding shop/web-deployment"
    )
    assert describe_karmada_key((CLUSTER_RESOURCE_BINDINGS, "", "admin-clusterrole")) == (
        "ClusterResourceBinding admin-clusterrole"
    )
    assert describe_karmada_key((PROPAGATION_POLICIES, "shop", "pp")) == "PropagationPolicy shop/pp"
    registry = default_registry()
    assert registry.kind_of("deployments.apps") == "Deployment"
    assert registry.kind_of("configmaps") == "ConfigMap"
    assert registry.kind_of("widgets.example.com") is None  # a CRD's kind no longer (or not yet) served
