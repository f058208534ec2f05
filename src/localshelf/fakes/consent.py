"""The provider's consent screen, for fakes run in a browser: an Allow/Deny form that repeats the authorize
request (same URL, same query) with the person's ``decision`` added. Fakes show it only when asked to
(``consent_page``); API tests keep the at-once approval."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse


def consent_page(heading: str, action: str, query: list[tuple[str, str]]) -> HTMLResponse:
    hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in query)
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(heading)}</title>'
        '<meta name="viewport" content="width=device-width,initial-scale=1"></head><body><main>'
        f"<h1>{escape(heading)}</h1><p>The app asks to read your products and inventory.</p>"
        f'<form method="get" action="{escape(action)}">{hidden}'
        '<button type="submit" name="decision" value="allow">Allow</button> '
        '<button type="submit" name="decision" value="deny">Deny</button></form></main></body></html>'
    )
