"""Log lines carry the node id and the session; a message cannot break out of its line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from server.logs import log_handler


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, dict[str, io.StringIO]]]:
    logger = logging.getLogger("palabre.test.logs")
    streams = {"json": io.StringIO(), "text": io.StringIO()}
    handlers = [log_handler(name, "node-5", stream) for name, stream in streams.items()]
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield logger, streams
    finally:
        for handler in handlers:
            logger.removeHandler(handler)


def test_json_lines_carry_the_node_and_the_session(
    logged: tuple[logging.Logger, dict[str, io.StringIO]],
) -> None:
    logger, streams = logged
    logger.info("session %s: %s connected", "s-123", "p-9")
    logger.warning("relay hiccup", extra={"session": "s-456"})
    logger.info("nothing about a session")
    lines = streams["json"].getvalue().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first["node"] == second["node"] == third["node"] == "node-5"
    assert first["session"] == "s-123"
    assert first["message"] == "session s-123: p-9 connected"
    assert first["level"] == "INFO" and first["logger"] == "palabre.test.logs"
    assert first["time"].endswith("Z")
    assert second["session"] == "s-456"
    assert "session" not in third


def test_a_message_with_line_breaks_stays_one_line(
    logged: tuple[logging.Logger, dict[str, io.StringIO]],
) -> None:
    logger, streams = logged
    forged = 'x\n{"level": "CRITICAL", "message": "forged"}\r\n2026 ERROR forged\u2028\x1b[31m'
    logger.info("a value: %s", forged)
    json_lines = streams["json"].getvalue().splitlines()
    assert len(json_lines) == 1
    assert json.loads(json_lines[0])["message"] == f"a value: {forged}"
    text = streams["text"].getvalue()
    assert text.count("\n") == 1 and len(text.splitlines()) == 1
    assert "[node-5] a value: x\\n{" in text
    assert "\x1b" not in text


def test_exceptions_stay_on_the_json_line(
    logged: tuple[logging.Logger, dict[str, io.StringIO]],
) -> None:
    logger, streams = logged
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("session %s: failed", "s-1")
    lines = streams["json"].getvalue().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["exc_type"] == "RuntimeError" and "boom" in line["traceback"]
