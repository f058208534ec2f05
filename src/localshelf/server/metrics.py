"""Prometheus metrics of one server: tool calls, throttles, sync jobs, webhook deliveries and applied events.

Each `Metrics` owns its `CollectorRegistry` (never the process-wide default), so many servers can live in one
process (the tests build hundreds). Labels are bounded sets — tool names, error codes, providers, job states,
webhook outcomes — never ids, shops or URLs. Served at `/metrics` by server/health.py when `LOCALSHELF_METRICS`
allows it.
"""

from __future__ import annotations

import json
import platform
import re
from collections.abc import Awaitable, Callable, Iterable
from functools import wraps

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from localshelf import __version__
from localshelf.domain.errors import ErrorCode

Handler = Callable[[Request], Awaitable[Response]]

# Tool calls take from a millisecond (a cached read) to minutes (a sync run with wait=true).
TOOL_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)
_LABEL_SAFE = re.compile(r"[^a-z0-9_]+")
MAX_LABEL_LENGTH = 40
_OUTCOMES = frozenset({"ok", *(code.value for code in ErrorCode)})


def label(value: str) -> str:
    """A free-text outcome as a short snake_case label value ("body too large" -> "body_too_large")."""
    return _LABEL_SAFE.sub("_", value.lower()).strip("_")[:MAX_LABEL_LENGTH] or "unknown"


def _outcome_of(response: Response) -> str:
    """The `outcome` a webhook receiver answered (server/webhook_routes.py `_answer`), as a label."""
    try:
        answer = json.loads(bytes(response.body))
    except ValueError:
        answer = None
    outcome = answer.get("outcome") if isinstance(answer, dict) else None
    return label(outcome) if isinstance(outcome, str) else f"http_{response.status_code}"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.is_worker_running = False
        self.tool_calls = Counter(
            "localshelf_tool_calls",
            "MCP tool calls by tool and outcome (ok, or the error code).",
            ["tool", "outcome"],
            registry=self.registry,
        )
        self.tool_seconds = Histogram(
            "localshelf_tool_call_seconds",
            "Time spent in MCP tool calls (guard, run and audit).",
            ["tool"],
            buckets=TOOL_SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.throttled = Counter(
            "localshelf_throttled",
            "Calls refused by the per-key rate limit (tools and HTTP routes).",
            [],
            registry=self.registry,
        )
        self.sync_jobs = Counter(
            "localshelf_sync_jobs",
            "Sync jobs run to an end state in this process, by provider and state.",
            ["provider", "state"],
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "localshelf_webhook_deliveries",
            "Webhook deliveries received, by provider and answer (accepted, duplicate, invalid_signature...).",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.events_applied = Counter(
            "localshelf_webhook_events_applied",
            "Stored webhook events the worker took to an end state (applied, ignored, failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.worker_running = Gauge(
            "localshelf_worker_running", "1 while this process's background worker runs.", registry=self.registry
        )
        Info("localshelf_build", "Version of localshelf and Python.", registry=self.registry).info(
            {"version": __version__, "python": platform.python_version()}
        )

    def tool_call(self, tool: str, outcome: str, seconds: float) -> None:
        """`outcome`: ok or an error code (anything else, e.g. an SDK message, counts as `other`)."""
        self.tool_calls.labels(tool, outcome if outcome in _OUTCOMES else "other").inc()
        self.tool_seconds.labels(tool).observe(seconds)

    def throttle(self) -> None:
        self.throttled.inc()

    def sync_job_finished(self, provider: str, state: str) -> None:
        self.sync_jobs.labels(provider or "unknown", state).inc()

    def events_done(self, states: Iterable[str]) -> None:
        for state in states:
            if state != "pending":
                self.events_applied.labels(state).inc()

    def worker_started(self) -> None:
        self.is_worker_running = True
        self.worker_running.set(1)

    def worker_stopped(self) -> None:
        self.is_worker_running = False
        self.worker_running.set(0)

    def webhook(self, provider: str) -> Callable[[Handler], Handler]:
        """Decorates a webhook receiver: counts each answer by its outcome (an exception counts as `error`)."""

        def decorate(handler: Handler) -> Handler:
            @wraps(handler)
            async def counted(request: Request) -> Response:
                try:
                    response = await handler(request)
                except Exception:
                    self.webhook_deliveries.labels(provider, "error").inc()
                    raise
                self.webhook_deliveries.labels(provider, _outcome_of(response)).inc()
                return response

            return counted

        return decorate

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
