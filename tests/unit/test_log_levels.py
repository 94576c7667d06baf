"""``log.level: debug`` opens karmadad's own loggers only: library debug (SQL with its parameters,
request bodies) never reaches the handler, even when a library turns its own logger up."""

import io
import logging

import pytest

from karmadad.logs import configure_logging, get_logger

LIBRARIES = ("aiosqlite", "aiohttp.client", "kubernetes_asyncio.client.rest", "asyncio", "urllib3")


@pytest.fixture
def stream():
    out = io.StringIO()
    configure_logging(format="text", level="debug", stream=out)
    yield out
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET)
    configure_logging(format="text", level="info", stream=io.StringIO())


def test_debug_is_for_karmadad_only(stream):
    get_logger("execution").debug("ours", object="Secret default/app")
    for name in LIBRARIES:
        logging.getLogger(name).debug("executing INSERT ... %s", "s3cret")
    output = stream.getvalue()
    assert "component=execution msg=ours" in output
    assert "s3cret" not in output


def test_a_library_that_sets_its_own_logger_to_debug_is_still_held_back(stream):
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
        logging.getLogger(name).debug("body %s", "s3cret")
    assert "s3cret" not in stream.getvalue()


def test_library_info_and_warnings_still_show(stream):
    logging.getLogger("aiosqlite").info("exception occurred while closing connection")
    logging.getLogger("kubernetes_asyncio").warning("retrying")
    output = stream.getvalue()
    assert "component=aiosqlite" in output and "component=kubernetes_asyncio" in output


def test_reload_to_info_closes_debug_again(stream):
    quieter = io.StringIO()
    configure_logging(format="json", level="info", stream=quieter)
    get_logger("execution").debug("hidden now")
    get_logger("execution").info("shown")
    assert "hidden now" not in quieter.getvalue() and "shown" in quieter.getvalue()
