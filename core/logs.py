"""Logs an operator can use: one line per event, JSON or text, each carrying the request.

``log_format = "json"`` (production: one JSON object per line, for a log shipper) or
``"text"`` (``make run``: a person reads the terminal). ``log_level`` governs uvicorn's
loggers and Frontdesk's own (``frontdesk.*``); everything else logs warnings and up.

Every line logged while a request is answered carries its request id, user and site,
read from a context variable the request middleware binds (``bind_request``) and the
authentication and language middleware fill in (``set_user``, ``set_site``). The access
line itself (``frontdesk.access``) is written by ``core.web.metrics.MetricsMiddleware``;
uvicorn's own access log is switched off.

The standard library's ``logging`` with a small JSON formatter: the fields are few and
fixed, so a dependency (python-json-logger) would add nothing but a version to follow.
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

LogFormat = Literal["json", "text"]

#: The attributes every ``LogRecord`` has; anything else on a record came as ``extra=``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime",
                                                                                        "taskName"}
#: Added by ``ContextFilter``; written as their own JSON members, not repeated as extras.
_CONTEXT_FIELDS = ("request_id", "user", "site")


@dataclass
class RequestContext:
    """Who and where the current request is; mutable, so middleware further in can fill
    in the user and site after the request id is bound."""

    request_id: str
    user: str = ""
    site: str = ""


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("frontdesk_request", default=None)


def new_request_id() -> str:
    return secrets.token_hex(8)


def bind_request(request_id: str) -> contextvars.Token:
    """Start a request's context (reset it with ``unbind_request(token)``)."""
    return _current.set(RequestContext(request_id))


def unbind_request(token: contextvars.Token) -> None:
    _current.reset(token)


def current_request() -> RequestContext | None:
    return _current.get()


def set_user(user: str) -> None:
    if (context := _current.get()) is not None:
        context.user = user


def set_site(site: str) -> None:
    if (context := _current.get()) is not None:
        context.site = site


class ContextFilter(logging.Filter):
    """Puts the current request's id, user and site on every record (empty outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        for name in _CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, getattr(context, name) if context is not None else "")
        return True


def _timestamp(record: logging.LogRecord) -> str:
    seconds = int(record.created)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request's id,
    user and site, any ``extra=`` fields, and the traceback as one string member."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": _timestamp(record), "level": record.levelname, "logger": record.name,
                                "message": record.getMessage()}
        for name in _CONTEXT_FIELDS:
            if value := getattr(record, name, ""):
                line[name] = value
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and name not in _CONTEXT_FIELDS and not name.startswith("_"):
                line[name] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["traceback"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-12-01T03:28:50.123Z INFO frontdesk.access [3f2a… mei@riverside] GET … 200 12.3 ms``"""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", "")
        where = ""
        if request_id:
            who = getattr(record, "user", "") or "-"
            site = getattr(record, "site", "")
            where = f" [{request_id} {who}{'@' + site if site else ''}]"
        line = f"{_timestamp(record)} {record.levelname} {record.name}{where} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return line


LEVELS = {"debug": "DEBUG", "info": "INFO", "warning": "WARNING", "error": "ERROR"}


def logging_config(log_format: LogFormat = "text", log_level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary; also uvicorn's ``log_config`` (each
    worker process applies it), so uvicorn's lines look like Frontdesk's."""
    level = LEVELS.get(log_level, "INFO")
    formatter = {"()": f"core.logs.{'JsonFormatter' if log_format == 'json' else 'TextFormatter'}"}
    handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "default",
               "filters": ["request"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # uvicorn sets use_colors on "default" and "access" when asked; both exist.
        "formatters": {"default": formatter, "access": dict(formatter)},
        "filters": {"request": {"()": "core.logs.ContextFilter"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # Replaced by frontdesk.access (route template, user, site, latency).
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "frontdesk": {"handlers": ["default"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }


def configure(log_format: LogFormat = "text", log_level: str = "info") -> None:
    """Apply ``logging_config`` to this process."""
    logging.config.dictConfig(logging_config(log_format, log_level))
