"""How `tempo server start-dev` writes its log: the real CLI's `--log-level` and `--log-format`."""

from __future__ import annotations

import json
import logging
import sys
import time
from enum import StrEnum


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warn = "warn"
    warning = "warning"
    error = "error"
    # The official SDKs' launchers map Python's CRITICAL to "fatal"; "panic" is zap's highest.
    fatal = "fatal"
    panic = "panic"
    never = "never"


class LogFormat(StrEnum):
    text = "text"
    # What the official SDKs' launchers pass (the CLI's older name for text).
    pretty = "pretty"
    json = "json"


_LEVELS = {
    LogLevel.debug: logging.DEBUG,
    LogLevel.info: logging.INFO,
    LogLevel.warn: logging.WARNING,
    LogLevel.warning: logging.WARNING,
    LogLevel.error: logging.ERROR,
    LogLevel.fatal: logging.CRITICAL,
    LogLevel.panic: logging.CRITICAL,
    LogLevel.never: logging.CRITICAL + 1,
}


class _JsonFormatter(logging.Formatter):
    """One JSON object a line, with the keys the real server's JSON log uses for the same things."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "level": record.levelname.lower().replace("warning", "warn"),
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "msg": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure(level: LogLevel, log_format: LogFormat) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format is LogFormat.json:
        formatter: logging.Formatter = _JsonFormatter()
        formatter.converter = time.gmtime
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    logging.basicConfig(level=_LEVELS[level], handlers=[handler], force=True)
