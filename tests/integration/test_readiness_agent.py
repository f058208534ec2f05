"""An agent that knows nothing but get_onboarding_status takes a new Shopify retailer to discoverable.

It loops: ask get_onboarding_status, do exactly what `blockers[0].next_step` says, filling in only what a person
supplies (which POS, the shop domain, the store's country and coordinates, approving the verification page),
until `discoverable` — within a bounded number of steps. Then a shopper's search finds the retailer.

Real HTTP throughout: our Starlette app serves the verification pages and callbacks, the Shopify fake answers
consent and the Admin API (tests/integration/test_provider_contract.py's `live` harness).
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from tests.conftest import call
from tests.integration.test_provider_contract import WEB, Live, ProviderCase, ShopifyCase, csrf, live

pytestmark = pytest.mark.anyio
__all__ = ["live"]  # the fixture, used by name below

MAX_STEPS = 12
STORE = (45.5152, -122.6784)


@pytest.fixture
def case() -> ProviderCase:
    """Only Shopify here: the `live` fixture's provider."""
    return ShopifyCase()


class Person:
    """What the retailer supplies when the agent asks, and the approval they click through."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.approvals = 0

    def answer(self, name: str, asked: Any) -> Any:
        if not (isinstance(asked, str) and asked.startswith("<")):
            return asked
        answers: dict[str, Any] = {
            "provider": "shopify",
            "account": self.live.case.account,
            "country": "US",
            "latitude": STORE[0],
            "longitude": STORE[1],
        }
        assert name in answers, f"the agent was told to ask for {name!r} ({asked}), which this person cannot answer"
        return answers[name]

    async def approve(self, user_code: str, verification_uri: str) -> None:
        """The person opens the verification page, enters the code, approves, and consents at Shopify."""
        assert verification_uri == f"{WEB}/connect"
        web = self.live.web
        entry = await web.get("/connect")
        confirm = await web.post("/connect", data={"user_code": user_code, "csrf": csrf(entry)})
        assert confirm.status_code == 200, confirm.text
        to_provider = await web.post(
            "/connect/decision", data={"user_code": user_code, "decision": "approve", "csrf": csrf(confirm)}
        )
        assert to_provider.status_code == 303, to_provider.text
        async with self.live.pos_http() as provider:
            consent = await provider.get(to_provider.headers["location"])
        landed = await web.get(consent.headers["location"].removeprefix(WEB))
        assert landed.status_code == 200 and "is connected" in landed.text, landed.text
        self.approvals += 1


async def follow(agent: Client, person: Person, step: dict[str, Any]) -> dict[str, Any]:
    """Make the call a next_step names, with the person's answers where it says to ask."""
    arguments = {name: person.answer(name, value) for name, value in step["arguments"].items()}
    result = await call(agent, step["tool"], **arguments)
    if step["tool"] == "start_pos_connect":  # the handoff: show the person the code and the page
        await person.approve(result["user_code"], result["verification_uri"])
        polled = await call(agent, "poll_pos_connect", device_code=result["device_code"])
        assert polled["status"] == "connected", polled
    return result


async def test_an_agent_following_only_the_readiness_advice_makes_a_retailer_discoverable(live: Live) -> None:
    person = Person(live)
    taken: list[str] = []
    async with live.agent() as agent:
        for _ in range(MAX_STEPS):
            status = await call(agent, "get_onboarding_status", organization_id=live.organization_id)
            if status["discoverable"]:
                break
            assert status["blockers"], status
            step = status["blockers"][0]["next_step"]
            assert step["tool"], status["blockers"][0]
            taken.append(f"{status['blockers'][0]['code']} → {step['tool']}")
            await follow(agent, person, step)
        else:
            pytest.fail(f"not discoverable after {MAX_STEPS} steps: {taken}")

        assert person.approvals == 1
        assert [entry.split(" → ")[1] for entry in taken] == [
            "start_pos_connect",
            "list_pos_locations",
            "publish_location",
            "map_pos_locations",
            "trigger_sync",
        ], taken
        assert status["mode"] == "pos" and status["in_stock_offers"] > 0
        assert {check["name"]: check["status"] for check in status["checks"]}["last_successful_sync"] == "ok"

        offers = await call(agent, "list_in_store_offers", organization_id=live.organization_id, status="in_stock")
        product = offers["offers"][0]["product"]["name"]
        found = await call(
            agent, "search_local_products", query=product, latitude=STORE[0], longitude=STORE[1], radius_km=5
        )
        sellers = {result["store"]["organization_id"] for result in found["results"]}
        assert live.organization_id in sellers, found
