"""A Clover-compatible fake (OAuth v2 expiring tokens, REST v3 inventory subset, webhooks) built from Clover's
public docs (docs.clover.com; see /work/shared/POS-REFERENCE.md §3).

Use in tests with ``httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url="https://api.clover.test")``
or run ``uvicorn --factory localshelf.fakes.clover.app:demo_app``.
"""

from localshelf.fakes.clover.app import FakeClover, create_app, demo_app
from localshelf.fakes.clover.state import Address, App, Category, CloverState, FakeClock, Item, Merchant
from localshelf.fakes.clover.webhooks import Delivery, Event, WebhookSender, item_event, notification_body
from localshelf.fakes.faults import Fault

__all__ = [
    "Address",
    "App",
    "Category",
    "CloverState",
    "Delivery",
    "Event",
    "FakeClock",
    "FakeClover",
    "Fault",
    "Item",
    "Merchant",
    "WebhookSender",
    "create_app",
    "demo_app",
    "item_event",
    "notification_body",
]
