"""Invitation links and search terms are kept out of the logs.

An invitation link (``/i/<token>``) is the municipality's credential, and what staff type into a search
(the free-text search, the audit log's «hvem») can be a name or an answer. Uvicorn's access log writes
every path with its query string, and an error logged by the app names the path, so every record is
rewritten before it is written: ``/i/[skjult]`` and ``sok=[skjult]``. The rest of the line stays, so the
log still says which page was asked for and how it went.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from uvicorn.config import LOGGING_CONFIG

HIDDEN = "[skjult]"
# Query parameters whose value is a search term (results.round_free_text's ``sok``, admin.audit_page's
# ``hvem``) or a credential.
SECRET_PARAMS = frozenset({"sok", "hvem", "token"})
# The token is everything after /i/ up to the end of the path; also inside a query value, where the path
# is percent-encoded (the login page's ``neste``).
_INVITATION = re.compile(r"((?:/|%2F)i(?:/|%2F))[^\s?#\"'&]+", re.IGNORECASE)
_QUERY = re.compile(r"\?([^\s#\"']+)")
# The server's loggers that write a URL (the access log) or an error about one.
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")
APP_LOGGER = "survey_app"


def redact(text: str) -> str:
    """``text`` with invitation tokens and the values of ``SECRET_PARAMS`` replaced by ``[skjult]``."""
    lowered = text.lower()
    if "/i" not in lowered and "%2f" not in lowered and "?" not in text:
        return text  # most records: nothing to look at
    text = _INVITATION.sub(lambda m: m.group(1) + HIDDEN, text)
    return _QUERY.sub(lambda m: "?" + _redact_query(m.group(1)), text)


def _redact_query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name, sep, value = pair.partition("=")
        # The name as the app reads it: «s%6Fk» is «sok» to Starlette too.
        if sep and value and unquote_plus(name) in SECRET_PARAMS:
            value = HIDDEN
        pairs.append(name + sep + value)
    return "&".join(pairs)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message, arguments and traceback with ``redact``; never drops a record.

    The arguments are rewritten in place, not merged into the message: uvicorn's access formatter reads
    the path from ``record.args``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {k: _redact_value(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(v) for v in record.args)
        if record.exc_info and not record.exc_text:
            # Formatters use exc_text when it is set, so the traceback is formatted (and redacted) here once.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def install() -> None:
    """Put the filter on the server's loggers and the app's own, whatever logging set-up runs the app
    (idempotent; call it once the app's modules are imported).

    A logger's filter sees only the records of that logger itself, not of its children, so every
    ``survey_app.*`` logger there is gets one; ``survey-app serve`` also puts it on every handler
    (``log_config``), which covers loggers made later too.
    """
    app_loggers = [
        name
        for name in logging.root.manager.loggerDict
        if name == APP_LOGGER or name.startswith(APP_LOGGER + ".")
    ]
    for name in [*SERVER_LOGGERS, *app_loggers]:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


def log_config() -> dict[str, Any]:
    """Uvicorn's logging configuration with ``RedactSecrets`` on every handler and on the server's loggers,
    and the root logger written by the same handler: the app's own loggers propagate there (they would
    otherwise go to Python's last-resort handler, unfiltered)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": f"{__name__}.RedactSecrets"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    for name in SERVER_LOGGERS:
        config["loggers"][name]["filters"] = ["redact"]
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
