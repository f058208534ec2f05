"""Reference resources derived from the code that applies them: confidence levels and the POS providers."""

from __future__ import annotations

import inspect
import json
from datetime import timedelta
from typing import Any

from mcp.server.mcpserver import MCPServer

from localshelf.domain import confidence, ranking
from localshelf.pos.registry import CONNECTORS
from localshelf.server.state import AppState
from localshelf.services import webhooks

FRESHNESS = {
    confidence.Confidence.CONFIRMED: ranking.FRESHNESS_CONFIRMED,
    confidence.Confidence.LIKELY: ranking.FRESHNESS_LIKELY,
    confidence.Confidence.UNCERTAIN: ranking.FRESHNESS_UNCERTAIN,
    confidence.Confidence.UNKNOWN: ranking.FRESHNESS_UNKNOWN,
}


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:g} h"


WITHIN = {
    confidence.Confidence.CONFIRMED: f"last inventory sync at most {_hours(confidence.CONFIRMED_WITHIN)} ago",
    confidence.Confidence.LIKELY: f"last inventory sync at most {_hours(confidence.LIKELY_WITHIN)} ago",
    confidence.Confidence.UNCERTAIN: f"last inventory sync more than {_hours(confidence.LIKELY_WITHIN)} ago",
    confidence.Confidence.UNKNOWN: "never synced",
}


def confidence_levels() -> dict[str, Any]:
    return {
        "explanation": (confidence.__doc__ or "").strip(),
        "levels": [
            {"level": level.value, "meaning": WITHIN[level], "freshness_score": FRESHNESS[level]}
            for level in confidence.Confidence
        ],
        "freshness_weight_in_ranking": ranking.W_FRESHNESS,
    }


def providers() -> list[dict[str, Any]]:
    """One row per connector in `pos.registry.CONNECTORS`, with how its webhooks arrive. (Whether this server has
    a provider's app credentials is not shown: static resources get no context; start_pos_connect says.)"""
    rows = []
    for name, connector in CONNECTORS.items():
        if name in webhooks.SUBSCRIBED_TOPICS:
            delivery, topics = "per-integration secret URL, subscribed at connect", webhooks.SUBSCRIBED_TOPICS[name]
        else:
            delivery, topics = f"one app-wide URL (/webhooks/{name})", webhooks.APP_WIDE_TOPICS.get(name, ())
        rows.append(
            {
                "provider": name,
                "about": (inspect.getdoc(connector) or "").split("\n")[0] or None,
                "account_up_front": connector.account_up_front,
                "start_pos_connect_account": "required (the shop domain)" if connector.account_up_front else "optional",
                "webhooks": {"delivery": delivery, "topics": sorted(topics)},
            }
        )
    return rows


def register(server: MCPServer[AppState]) -> None:
    @server.resource("localshelf://docs/confidence-levels", mime_type="application/json", title="Confidence levels")
    def confidence_doc() -> str:
        """What an offer's confidence (confirmed, likely, uncertain, unknown) means and how it weighs in ranking."""
        return json.dumps(confidence_levels(), indent=2)

    @server.resource("localshelf://docs/providers", mime_type="application/json", title="POS providers")
    def providers_doc() -> str:
        """The POS providers start_pos_connect accepts: what to pass as `account`, and how webhooks arrive."""
        return json.dumps(providers(), indent=2)
