"""A Square-compatible fake (OAuth, Catalog/Inventory/Locations subset, signed webhooks) from Square's public docs.

Use in tests with ``httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url="https://connect.squareup.com")``
or run ``uvicorn --factory localshelf.fakes.square.app:demo_app``.
"""

from localshelf.fakes.square.app import FakeSquare, create_app, decode_cursor, demo_app, encode_cursor
from localshelf.fakes.square.faults import Fault
from localshelf.fakes.square.state import (
    App,
    Category,
    FakeClock,
    Grant,
    Image,
    Item,
    Location,
    SquareState,
    Variation,
)
from localshelf.fakes.square.webhooks import (
    SIGNATURE_HEADER,
    Delivery,
    WebhookSender,
    catalog_version_updated,
    inventory_count_updated,
    sign,
)

__all__ = [
    "SIGNATURE_HEADER",
    "App",
    "Category",
    "Delivery",
    "FakeClock",
    "FakeSquare",
    "Fault",
    "Grant",
    "Image",
    "Item",
    "Location",
    "SquareState",
    "Variation",
    "WebhookSender",
    "catalog_version_updated",
    "create_app",
    "decode_cursor",
    "demo_app",
    "encode_cursor",
    "inventory_count_updated",
    "sign",
]
