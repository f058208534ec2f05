"""What happens around every tool call, in order: arguments known? scope held? under the rate?
then run as the caller, then audit the write. Each step refuses with a typed error and runs nothing after it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.types import CallToolResult

from localshelf.domain.auth import Principal
from localshelf.domain.errors import Forbidden, LocalshelfError, RateLimited
from localshelf.server.errors import error_code_of, from_error
from localshelf.server.logs import tool_call_context
from localshelf.server.state import AppState, current_actor
from localshelf.services import audit
from localshelf.tools.policy import POLICIES

logger = logging.getLogger("localshelf.guard")

Run = Callable[[], Awaitable[CallToolResult]]


async def guarded(
    name: str, arguments: dict[str, Any], principal: Principal, state: AppState, run: Run
) -> CallToolResult:
    if name not in POLICIES:  # not one of ours (unknown tool): the SDK answers it
        return await run()
    started = time.perf_counter()
    with tool_call_context(name, arguments.get("organization_id")):
        result = await _checked(name, arguments, principal, state, run)
        seconds, outcome = time.perf_counter() - started, error_code_of(result)
        logger.info("tool %s by %s: %s in %.1f ms", name, principal.throttle_key, outcome, seconds * 1000)
    state.metrics.tool_call(name, outcome, seconds)
    return result


async def _checked(
    name: str, arguments: dict[str, Any], principal: Principal, state: AppState, run: Run
) -> CallToolResult:
    policy = POLICIES[name]
    try:
        if policy.scope is not None:
            principal.require_scope(policy.scope)
        if policy.access == "operator" and not principal.is_operator:
            raise Forbidden("Only the local operator (the stdio server without an API key) may do this.")
        await _within_rate(principal, state)
    except RateLimited as exc:
        state.metrics.throttle()
        return from_error(exc)  # nothing ran, so nothing to audit: a flood must not turn into writes
    except LocalshelfError as exc:
        result = from_error(exc)
    else:
        token = current_actor.set(principal)
        try:
            result = await run()
        finally:
            current_actor.reset(token)
    if policy.audited:
        await _audit(state, principal, name, arguments, result)
    return result


async def _within_rate(principal: Principal, state: AppState) -> None:
    if principal.is_operator or state.throttle is None:
        return
    decision = await state.acquire(principal.throttle_key)
    if not decision.allowed:
        raise RateLimited(decision.retry_after_seconds)


def _targets(arguments: dict[str, Any], result: CallToolResult) -> tuple[str | None, list[str]]:
    produced = result.structured_content or {}
    organization_id = arguments.get("organization_id") or produced.get("organization_id")
    ids = [str(v) for k, v in sorted(arguments.items()) if k.endswith("_id") and isinstance(v, str)]
    if isinstance(produced.get("id"), str) and produced["id"] not in ids:
        ids.append(produced["id"])
    return (organization_id if isinstance(organization_id, str) else None), ids


async def _audit(
    state: AppState, principal: Principal, tool: str, arguments: dict[str, Any], result: CallToolResult
) -> None:
    organization_id, target_ids = _targets(arguments, result)
    try:
        await state.database.run(
            audit.record, principal, tool, organization_id, target_ids, error_code_of(result), state.clock()
        )
    except Exception:  # the call's own outcome stands; a lost audit line is logged loudly instead
        logger.exception("could not record audit entry for %s by %s", tool, principal.throttle_key)
