"""Square's answers for injected faults (see :mod:`localshelf.fakes.faults`): its ``{"errors": [...]}`` envelope."""

from __future__ import annotations

from localshelf.fakes.faults import Fault
from localshelf.fakes.square.wire import error_body

__all__ = ["Fault", "fault_body"]


def fault_body(fault: Fault) -> object:
    if fault.kind == "rate_limit":
        return error_body("RATE_LIMIT_ERROR", "RATE_LIMITED", "This request was rate limited. Please retry later.")
    code = "SERVICE_UNAVAILABLE" if fault.status == 503 else "INTERNAL_SERVER_ERROR"
    return error_body("API_ERROR", code, "Fault injected.")
