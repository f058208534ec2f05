"""One HTTP request to a POS REST API, with the retry policy every connector shares.

429, 5xx, timeouts, connection errors and truncated or non-JSON bodies are retried with exponential
backoff and full jitter, or exactly ``Retry-After`` seconds when the provider says so (with or without the
header). 401/403 fail at once as :class:`PosAuthError`; other 4xx are never retried (:class:`PosBadResponse`,
with the provider's own error text when ``describe`` can read it). A request waits at most ``max_wait``
seconds in all, then its last failure is raised as its typed error. No message ever contains the token.
(Shopify's GraphQL connector keeps its own loop: its throttling lives in the response body, not in 429s.)
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import orjson
from tenacity import AsyncRetrying, RetryCallState, RetryError, retry_if_exception_type

from localshelf.pos.contract import PosAuthError, PosBadResponse, PosError, PosRateLimited, PosUnavailable

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
MAX_ATTEMPTS = 25

Describe = Callable[[Any], str | None]
Sleep = Callable[[float], Awaitable[None]]

# How the connectors wait between attempts. Tests set it to a fake clock's sleep for the duration of a context
# (it reaches a sync run by the server they start in it), so retries and Retry-After cost no wall time.
RETRY_SLEEP: ContextVar[Sleep] = ContextVar("localshelf_pos_retry_sleep", default=anyio.sleep)


async def retry_sleep(seconds: float) -> None:
    await RETRY_SLEEP.get()(seconds)


def transport_failure(exc: httpx.HTTPError) -> str:
    """What went wrong on the wire, in words for a job's error message (no exception class names)."""
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return "lost the connection before answering"


class _Transient(Exception):
    def __init__(self, error: PosError, wait: float | None = None) -> None:
        super().__init__(error.message)
        self.error, self.wait = error, wait


def retry_after_seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # the HTTP-date form: fall back to backoff
    return seconds if seconds >= 0 else None


@dataclass
class RestClient:
    """``provider`` names the POS in messages; ``describe`` pulls a short error text out of an error body."""

    http: httpx.AsyncClient
    provider: str
    token: str
    max_wait_seconds: float = 60.0
    sleep: Sleep = retry_sleep
    describe: Describe = field(default=lambda _body: None)
    random: random.Random = field(default_factory=random.Random)

    async def request(
        self,
        method: str,
        url: str,
        operation: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """The parsed JSON answer of a 2xx response (None for an empty body)."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Transient), wait=self._wait, stop=self._stop, sleep=self.sleep
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(method, url, operation, headers, params, json_body)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            if isinstance(last, _Transient):
                raise last.error from None
            raise PosUnavailable(f"{self.provider} {operation} failed") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def safe(self, message: str) -> str:
        return message.replace(self.token, "[redacted]") if self.token else message

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _Transient) and exc.wait is not None:
            return exc.wait
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (state.attempt_number - 1))
        return self.random.uniform(0.0, ceiling)

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= MAX_ATTEMPTS:
            return True
        return state.idle_for + state.upcoming_sleep > self.max_wait_seconds

    async def _attempt(
        self,
        method: str,
        url: str,
        operation: str,
        headers: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
        json_body: Any,
    ) -> Any:
        name = f"{self.provider} {operation}"
        try:
            response = await self.http.request(method, url, headers=headers, params=params, json=json_body)
        except httpx.TransportError as exc:
            raise _Transient(PosUnavailable(f"{name} {transport_failure(exc)}")) from None
        status = response.status_code
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if status in (401, 403):
            raise PosAuthError(self._message(f"{name} was refused (HTTP {status})", response), status=status)
        if status == 429:
            error = PosRateLimited(self._message(f"{name} was rate-limited (HTTP 429)", response), status=status)
            error.retry_after = wait
            raise _Transient(error, wait)
        if status >= 500:
            raise _Transient(PosUnavailable(f"{name} failed with HTTP {status}", status=status), wait)
        if status >= 400:
            raise PosBadResponse(self._message(f"{name} answered HTTP {status}", response), status=status)
        if not response.content:
            return None
        try:
            return orjson.loads(response.content)
        except ValueError:
            raise _Transient(PosUnavailable(f"{name} answered a truncated or non-JSON body")) from None

    def _message(self, prefix: str, response: httpx.Response) -> str:
        try:
            detail = self.describe(json.loads(response.content)) if response.content else None
        except ValueError:
            detail = None
        return self.safe(f"{prefix}: {detail[:200]}" if detail else prefix)
