"""In-memory state of the fake Clover: the app, merchants, inventory items, item stocks and OAuth grants.

Shapes follow docs.clover.com (inventory items, item_stocks, merchant address/properties, OAuth v2 expiring
tokens); see /work/shared/POS-REFERENCE.md §3. Ids are 13-character Clover-style base32 strings. Prices are
integer cents; ``modifiedTime`` is epoch milliseconds; stock ``quantity`` is a decimal that may be negative.
Token lifetimes are configurable because Clover documents them as dynamic ("do not hard-code them").
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from localshelf.domain.gtin import with_check_digit
from localshelf.fakes.faults import FakeClock as FakeClock  # re-exported

Clock = Callable[[], float]
ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford-style base32, as Clover ids look
ID_LENGTH = 13


@dataclass
class App:
    app_id: str
    client_id: str
    client_secret: str
    webhook_auth_code: str  # the static X-Clover-Auth value shown on the developer dashboard


@dataclass
class Category:
    id: str
    name: str
    sort_order: int = 0


@dataclass
class Item:
    id: str
    name: str
    price: int  # cents
    code: str | None = None  # UPC/EAN, free text
    sku: str | None = None
    hidden: bool = False
    available: bool = True
    price_type: str = "FIXED"
    categories: list[Category] = field(default_factory=list)
    modified_ms: int = 0
    deleted_ms: int | None = None  # set once deleted; deleted items are only listed with filter=deleted=true
    quantity: float | None = None  # None: no item stock record

    @property
    def deleted(self) -> bool:
        return self.deleted_ms is not None


@dataclass
class Address:
    address1: str = ""
    address2: str = ""
    address3: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = "US"
    phone_number: str = ""


@dataclass
class Grant:
    merchant_id: str
    expires_at: float  # epoch seconds


@dataclass
class AuthCode:
    merchant_id: str
    expires_at: float


@dataclass
class Merchant:
    id: str
    name: str
    currency: str = "USD"
    address: Address = field(default_factory=Address)
    items: dict[str, Item] = field(default_factory=dict)  # insertion order = listing order
    categories: dict[str, Category] = field(default_factory=dict)
    refresh_order: list[str] = field(default_factory=list)  # live refresh tokens, oldest first


class CloverState:
    """Merchants served by one fake instance, plus the single app installed into them."""

    def __init__(
        self,
        app: App | None = None,
        clock: Clock | None = None,
        *,
        access_token_lifetime: float = 1800.0,
        refresh_token_lifetime: float = 30 * 86400.0,
        code_lifetime: float = 60.0,
        max_refresh_tokens: int = 5,
        max_limit: int = 1000,
    ) -> None:
        self.app = app or App("FAKEAPPID0001", "fake-client-id", "fake-client-secret", "fake-x-clover-auth")
        self.clock: Clock = clock or FakeClock()
        self.access_token_lifetime = access_token_lifetime
        self.refresh_token_lifetime = refresh_token_lifetime
        self.code_lifetime = code_lifetime
        self.max_refresh_tokens = max_refresh_tokens
        self.max_limit = max_limit
        self.merchants: dict[str, Merchant] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, AuthCode] = {}
        self.installing: str | None = None  # merchant that approves /oauth/v2/authorize; default: the first
        self._next_id = 0

    # ------------------------------------------------------------ ids and time

    def new_id(self) -> str:
        self._next_id += 1
        number, chars = self._next_id, []
        for _ in range(ID_LENGTH):
            number, digit = divmod(number, len(ID_ALPHABET))
            chars.append(ID_ALPHABET[digit])
        return "".join(reversed(chars))

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # ------------------------------------------------------------ catalog

    def add_merchant(self, name: str, *, currency: str = "USD", address: Address | None = None) -> Merchant:
        merchant = Merchant(id=self.new_id(), name=name, currency=currency, address=address or Address())
        self.merchants[merchant.id] = merchant
        return merchant

    def add_category(self, merchant: Merchant, name: str) -> Category:
        category = Category(id=self.new_id(), name=name, sort_order=len(merchant.categories) + 1)
        merchant.categories[category.id] = category
        return category

    def add_item(self, merchant: Merchant, name: str, price: int, **fields: object) -> Item:
        item = Item(id=self.new_id(), name=name, price=price, modified_ms=self.now_ms(), **fields)  # type: ignore[arg-type]
        merchant.items[item.id] = item
        return item

    def update_item(self, merchant: Merchant, item_id: str, **changes: object) -> Item:
        item = merchant.items[item_id]
        for key, value in changes.items():
            if not hasattr(item, key):
                raise AttributeError(key)
            setattr(item, key, value)
        item.modified_ms = self.now_ms()
        return item

    def delete_item(self, merchant: Merchant, item_id: str) -> Item:
        item = merchant.items[item_id]
        item.deleted_ms = item.modified_ms = self.now_ms()
        return item

    def set_stock(self, merchant: Merchant, item_id: str, quantity: float) -> None:
        merchant.items[item_id].quantity = quantity

    def seed(self, merchant: Merchant, *, items: int, seed: int = 0) -> None:
        """Deterministic catalog (same seed → same data): ~80% of items carry a valid UPC-A or EAN-13 ``code``,
        the rest none; ~10% are hidden, ~5% unavailable; most have a stock quantity (some negative or fractional).
        """
        rng = random.Random(seed)
        categories = [self.add_category(merchant, n) for n in ("Hand Tools", "Garden", "Lighting", "Hardware")]
        for n in range(items):
            roll = rng.random()
            if roll < 0.4:
                code: str | None = with_check_digit("".join(str(rng.randrange(10)) for _ in range(11)))
            elif roll < 0.8:
                code = with_check_digit("".join(str(rng.randrange(1, 10)) for _ in range(12)))
            else:
                code = None
            item = self.add_item(
                merchant,
                f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {n + 1}",
                rng.randrange(199, 19999),
                code=code,
                sku=f"SKU-{seed}-{n + 1:05d}" if rng.random() < 0.9 else None,
                hidden=rng.random() < 0.1,
                available=rng.random() >= 0.05,
                categories=[rng.choice(categories)] if rng.random() < 0.85 else [],
            )
            stock_roll = rng.random()
            if stock_roll < 0.8:
                item.quantity = float(rng.randrange(0, 40))
            elif stock_roll < 0.85:
                item.quantity = -float(rng.randrange(1, 4))
            elif stock_roll < 0.9:
                item.quantity = rng.randrange(1, 200) / 4

    # ------------------------------------------------------------ OAuth

    def issue_code(self, merchant: Merchant) -> str:
        code = secrets.token_hex(16)
        self.codes[code] = AuthCode(merchant.id, self.clock() + self.code_lifetime)
        return code

    def issue_tokens(self, merchant: Merchant) -> tuple[str, float, str, float]:
        """A new (access token, its expiry, refresh token, its expiry); expiries in epoch seconds."""
        now = self.clock()
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        access_exp, refresh_exp = now + self.access_token_lifetime, now + self.refresh_token_lifetime
        self.access_tokens[access] = Grant(merchant.id, access_exp)
        self.refresh_tokens[refresh] = Grant(merchant.id, refresh_exp)
        merchant.refresh_order.append(refresh)
        while len(merchant.refresh_order) > self.max_refresh_tokens:  # Clover caps live refresh tokens
            self.refresh_tokens.pop(merchant.refresh_order.pop(0), None)
        return access, access_exp, refresh, refresh_exp

    def use_refresh_token(self, token: str) -> Merchant | None:
        """Consume a refresh token (single use); None if unknown, used or expired."""
        grant = self.refresh_tokens.pop(token, None)
        if grant is None:
            return None
        merchant = self.merchants.get(grant.merchant_id)
        if merchant is not None and token in merchant.refresh_order:
            merchant.refresh_order.remove(token)
        return merchant if grant.expires_at > self.clock() else None

    def merchant_for_token(self, token: str) -> Merchant | None:
        grant = self.access_tokens.get(token)
        if grant is None or grant.expires_at <= self.clock():
            return None
        return self.merchants.get(grant.merchant_id)

    def uninstall(self, merchant: Merchant) -> None:
        for tokens in (self.access_tokens, self.refresh_tokens):
            for token in [t for t, g in tokens.items() if g.merchant_id == merchant.id]:
                del tokens[token]
        merchant.refresh_order.clear()


_ADJECTIVES = ["Steel", "Brass", "Cedar", "Copper", "Oak", "Granite", "Maple", "Iron", "Slate", "Birch"]
_NOUNS = ["Hammer", "Wrench", "Lantern", "Trowel", "Shovel", "Clamp", "Chisel", "Level", "Rake", "Saw"]
