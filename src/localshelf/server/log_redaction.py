"""Request lines in uvicorn's access log without the secrets some URLs carry.

A Shopify or Lightspeed webhook URL ends in its endpoint's secret; the OAuth callback carries a single-use `code`
and `state`; the one-click install link a `token`; the verification link a `user_code`. uvicorn logs each request
line at INFO (so with LOCALSHELF_LOG_LEVEL=INFO or DEBUG): `RedactSecretUrls` masks those parts first.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
SECRET_QUERY_PARAMETERS = frozenset({"code", "state", "token", "user_code", "hmac"})
_SECRET_PATH = re.compile(r"^(/webhooks/[^/?]+/)[^/?]+")
_TARGET_ARGUMENT = 2  # uvicorn's access record: (client, method, path with query, http version, status)


def redact_target(target: str) -> str:
    """`target` (a request's path and query) with webhook URL secrets and secret query values masked."""
    path, separator, query = target.partition("?")
    path = _SECRET_PATH.sub(rf"\g<1>{REDACTED}", path)
    if not separator:
        return path
    pairs = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        pairs.append(f"{name}={REDACTED}" if equals and name in SECRET_QUERY_PARAMETERS else pair)
    return f"{path}?{'&'.join(pairs)}"


class RedactSecretUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _TARGET_ARGUMENT:
            target = args[_TARGET_ARGUMENT]
            if isinstance(target, str):
                record.args = (*args[:_TARGET_ARGUMENT], redact_target(target), *args[_TARGET_ARGUMENT + 1 :])
        return True


def redact_access_log() -> None:
    """Install the filter on uvicorn's access logger (once; uvicorn's own log setup keeps logger filters)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactSecretUrls) for existing in access.filters):
        access.addFilter(RedactSecretUrls())
