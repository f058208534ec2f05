"""In-memory state of the fake Lightspeed Retail X-Series (API 2.0): outlets, products, inventory, OAuth.

Shapes follow POS-REFERENCE.md §4 (the API 2.0 OpenAPI export in dansleboby/lightspeed-xseries-sdk and the
x-series-api.lightspeedhq.com docs). Every change takes the next value of one store-wide ``version``
counter, which is what ``after=`` pages on. Prices are decimal major units; ``inventory_level`` is a number.
Unconfirmed: the product-code ``type`` vocabulary (UPC/EAN/CUSTOM used here) and token lifetimes (both
configurable).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from localshelf.domain.gtin import with_check_digit
from localshelf.fakes.faults import FakeClock as FakeClock  # re-exported

Clock = Callable[[], float]


@dataclass
class Outlet:
    id: str
    name: str
    currency: str = "USD"
    display_prices: str = "exclusive"  # "inclusive" in tax-inclusive markets
    city: str = ""
    postcode: str = ""
    country_id: str = "US"
    version: int = 0
    deleted_at: str | None = None


@dataclass
class Product:
    id: str
    name: str
    sku: str
    price_excluding_tax: Decimal
    price_including_tax: Decimal
    variant_name: str | None = None
    handle: str = ""
    active: bool = True
    has_variants: bool = False
    variant_parent_id: str | None = None
    product_codes: list[dict[str, str]] = field(default_factory=list)
    updated_at: str = ""
    deleted_at: str | None = None
    version: int = 0


@dataclass
class Inventory:
    id: str
    product_id: str
    outlet_id: str
    inventory_level: Decimal
    version: int = 0


@dataclass
class Webhook:
    id: str
    url: str
    type: str
    active: bool = True


WEBHOOK_TYPES = (
    "sale.update",
    "product.update",
    "customer.update",
    "inventory.update",
    "register_closure.create",
    "consignment.send",
    "consignment.receive",
)


@dataclass
class Grant:
    access_token: str
    refresh_token: str
    access_expires: float


class LightspeedState:
    def __init__(
        self,
        *,
        domain_prefix: str = "mystore",
        client_id: str = "ls-client",
        client_secret: str = "ls-secret",
        clock: Clock | None = None,
        access_ttl: int = 604_800,
    ) -> None:
        self.domain_prefix = domain_prefix
        self.client_id, self.client_secret = client_id, client_secret
        self.clock: Clock = clock or FakeClock()
        self.access_ttl = access_ttl
        self.version = 1_000
        self.outlets: dict[str, Outlet] = {}
        self.products: dict[str, Product] = {}
        self.inventory: dict[tuple[str, str], Inventory] = {}
        self.codes: dict[str, str] = {}  # authorization code -> redirect_uri
        self.grants: list[Grant] = []
        self.webhooks: dict[str, Webhook] = {}

    # ------------------------------------------------------------ versions and timestamps

    def next_version(self) -> int:
        self.version += 1
        return self.version

    def now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat()

    # ------------------------------------------------------------ catalog

    def add_outlet(self, name: str, **kwargs: str) -> Outlet:
        outlet = Outlet(id=str(uuid.uuid4()), name=name, version=self.next_version(), **kwargs)
        self.outlets[outlet.id] = outlet
        return outlet

    def add_product(self, product: Product) -> Product:
        product.version, product.updated_at = self.next_version(), self.now_iso()
        self.products[product.id] = product
        return product

    def touch(self, product_id: str) -> Product:
        product = self.products[product_id]
        product.version, product.updated_at = self.next_version(), self.now_iso()
        return product

    def delete_product(self, product_id: str) -> Product:
        product = self.touch(product_id)
        product.deleted_at = product.updated_at
        return product

    def set_inventory(self, product_id: str, outlet_id: str, level: Decimal | int) -> Inventory:
        key = (product_id, outlet_id)
        record = self.inventory.get(key) or Inventory(str(uuid.uuid4()), product_id, outlet_id, Decimal(0))
        record.inventory_level, record.version = Decimal(level), self.next_version()
        self.inventory[key] = record
        return record

    # ------------------------------------------------------------ webhooks

    def add_webhook(self, url: str, type: str, active: bool = True) -> Webhook:
        webhook = Webhook(str(uuid.uuid4()), url, type, active)
        self.webhooks[webhook.id] = webhook
        return webhook

    # ------------------------------------------------------------ OAuth

    def issue_code(self, redirect_uri: str) -> str:
        code = secrets.token_hex(16)
        self.codes[code] = redirect_uri
        return code

    def issue_grant(self) -> Grant:
        grant = Grant(secrets.token_urlsafe(30), secrets.token_urlsafe(30), self.clock() + self.access_ttl)
        self.grants.append(grant)
        return grant

    def redeem_code(self, code: str, redirect_uri: str) -> Grant | None:
        if self.codes.pop(code, None) != redirect_uri:
            return None
        return self.issue_grant()

    def rotate(self, refresh_token: str) -> Grant | None:
        """Since 2025-03 the refresh token rotates: the old one (and its access token) stop working."""
        old = next((g for g in self.grants if g.refresh_token == refresh_token), None)
        if old is None:
            return None
        self.grants.remove(old)
        return self.issue_grant()

    def token_valid(self, token: str) -> bool:
        return any(g.access_token == token and g.access_expires > self.clock() for g in self.grants)


def seed(state: LightspeedState | None = None, *, products: int = 30, outlets: int = 3) -> LightspeedState:
    """A deterministic store: outlets; simple products and 3-variant families; most with a valid UPC or EAN,
    every seventh without a code, every fifth inactive; inventory for every product in every outlet."""
    state = state or LightspeedState()
    outlet_ids = [state.add_outlet(f"Outlet {n + 1}", city=f"City {n + 1}").id for n in range(outlets)]
    for n in range(products):
        price = Decimal(499 + 100 * n) / 100
        codes = _codes(n)
        family = n % 4 == 3
        parent = state.add_product(
            Product(
                id=str(uuid.UUID(int=n + 1)),
                name=f"Product {n}",
                sku=f"SKU-{n}",
                price_excluding_tax=price,
                price_including_tax=(price * Decimal("1.1")).quantize(Decimal("0.01")),
                variant_name=f"Product {n} / S" if family else None,
                handle=f"product-{n}",
                active=n % 5 != 4,
                has_variants=family,
                product_codes=codes,
            )
        )
        family_ids = [parent.id]
        if family:
            for size_index, size in enumerate(("M", "L"), start=1):
                child = state.add_product(
                    Product(
                        id=str(uuid.UUID(int=10_000 + n * 10 + size_index)),
                        name=f"Product {n}",
                        sku=f"SKU-{n}-{size}",
                        price_excluding_tax=price,
                        price_including_tax=parent.price_including_tax,
                        variant_name=f"Product {n} / {size}",
                        handle=f"product-{n}",
                        active=parent.active,
                        has_variants=True,
                        variant_parent_id=parent.id,
                        product_codes=_codes(1_000 + n * 10 + size_index),
                    )
                )
                family_ids.append(child.id)
        for product_id in family_ids:
            for o, outlet_id in enumerate(outlet_ids):
                state.set_inventory(product_id, outlet_id, (n * 7 + o * 3) % 11)
    return state


def _codes(n: int) -> list[dict[str, str]]:
    if n % 7 == 6:
        return []
    if n % 2:
        return [{"type": "CUSTOM", "code": f"X{n}"}, {"type": "EAN", "code": with_check_digit(f"400638{n:06d}")}]
    return [{"type": "UPC", "code": with_check_digit(f"03600{n:06d}")}]
