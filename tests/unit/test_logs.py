import io
import json
import logging

from karmadad.logs import configure_logging, get_logger


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
