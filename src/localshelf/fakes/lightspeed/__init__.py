"""A fake Lightspeed Retail X-Series (API 2.0) for tests: see :mod:`.app`, :mod:`.state`, :mod:`.webhooks`."""

from localshelf.fakes.faults import Fault
from localshelf.fakes.lightspeed.app import FakeLightspeed
from localshelf.fakes.lightspeed.state import FakeClock, Inventory, LightspeedState, Outlet, Product, seed
from localshelf.fakes.lightspeed.webhooks import WebhookSender, form_body

__all__ = [
    "FakeClock",
    "FakeLightspeed",
    "Fault",
    "Inventory",
    "LightspeedState",
    "Outlet",
    "Product",
    "WebhookSender",
    "form_body",
    "seed",
]
