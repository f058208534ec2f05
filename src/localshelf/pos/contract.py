"""The provider-neutral read contract every POS connector implements.

A connector turns one provider's catalog (products/variants, locations, stock levels) into the records
below. Reads stream page by page: each page carries ``next_cursor``, the checkpoint from which a later
call resumes (``None`` once the listing is exhausted), so a sync never holds a whole catalog in memory
and can restart where it stopped.

Errors are typed so callers can react without parsing messages: :class:`PosAuthError` means the
integration must be re-authorized, :class:`PosRateLimited` and :class:`PosUnavailable` are worth a later
retry, :class:`PosBadResponse` means the provider answered something this connector does not understand.
No message ever contains an access token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class PosLocation:
    external_id: str
    name: str
    address_line1: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class PosItem:
    """One sellable item: a product variant (a product without options has exactly one)."""

    external_id: str  # the variant's id
    product_external_id: str
    sku: str | None
    barcode: str | None
    name: str  # the product title, plus the variant title unless it is "Default Title"
    brand: str | None
    category: str | None
    description: str | None
    image_urls: tuple[str, ...]
    price_minor: int  # integer minor units of ``currency``
    currency: str
    active: bool  # the product is live (Shopify: status ACTIVE; DRAFT and ARCHIVED are inactive)
    inventory_item_id: str | None
    updated_at: datetime | None
    deleted: bool = False  # reported deleted by an incremental read (its offers leave search)


@dataclass(frozen=True, slots=True)
class PosStock:
    inventory_item_id: str
    location_external_id: str
    quantity: int
    updated_at: datetime | None = None  # when the POS last changed this quantity, if it says


@dataclass(frozen=True, slots=True)
class ItemPage:
    items: tuple[PosItem, ...]
    next_cursor: str | None  # resume after this page with ``items(after=next_cursor)``; None = done
    skipped: int = 0  # products left out because the provider described them in a way we cannot read


@dataclass(frozen=True, slots=True)
class StockPage:
    stock: tuple[PosStock, ...]
    next_cursor: str | None  # resume after this page with ``stock(location, after=next_cursor)``; None = done


# ---------------------------------------------------------------- webhook events, provider-neutral


@dataclass(frozen=True, slots=True)
class StockChanged:
    """One level changed; ``stock.updated_at`` orders it against what is stored."""

    stock: PosStock


@dataclass(frozen=True, slots=True)
class ItemsChanged:
    """A product was created or updated. With ``all_variants`` the payload lists every variant of the product, so
    a variant it no longer lists was deleted; without, ``items`` are just the records that changed."""

    product_external_id: str
    items: tuple[PosItem, ...]
    updated_at: datetime | None  # the product's own change time
    all_variants: bool = True


@dataclass(frozen=True, slots=True)
class ProductDeleted:
    product_external_id: str


@dataclass(frozen=True, slots=True)
class CatalogChanged:
    """The provider said something changed without saying what (or not enough to apply it): read again."""

    reason: str


@dataclass(frozen=True, slots=True)
class AppUninstalled:
    pass


@dataclass(frozen=True, slots=True)
class StockMoved:
    """A sale, return or cancellation moved ``delta`` units of one item at one POS location (a relative change).

    The item is named by its inventory item id or, when the provider only names the variant (order lines), by the
    variant's id. ``external_id`` identifies this one movement at the provider (a redelivery carries the same).
    Applied only when ``occurred_at`` is newer than the stored level; otherwise the level already includes it.
    """

    external_id: str
    delta: int
    reason: str  # one of store.models.MOVEMENT_REASONS
    location_external_id: str | None  # None: the provider did not say where (e.g. an online order)
    occurred_at: datetime | None
    inventory_item_id: str | None = None
    variant_external_id: str | None = None


PosEvent = StockChanged | ItemsChanged | ProductDeleted | CatalogChanged | AppUninstalled | StockMoved


# ---------------------------------------------------------------- OAuth


@dataclass(frozen=True, slots=True)
class OAuthGrant:
    """What a provider's token endpoint answers, normalised. ``expires_at`` None: the token does not expire."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scopes: tuple[str, ...]
    account: str | None = None  # the merchant/shop id the provider reports, when it does


class CatalogReader(Protocol):
    async def shop_currency(self) -> str: ...

    async def prices_include_tax(self) -> bool:
        """Whether the shelf prices this reader reports include tax (the shop's setting, where it has one)."""
        ...

    async def locations(self) -> list[PosLocation]: ...

    def items(self, after: str | None = None, updated_since: datetime | None = None) -> AsyncIterator[ItemPage]:
        """All items, or only those changed since `updated_since` (an incremental sync)."""
        ...

    def stock(self, location_external_id: str, after: str | None = None) -> AsyncIterator[StockPage]: ...


@runtime_checkable
class WebhookSubscriptions(Protocol):
    """A reader of a provider whose webhooks are subscribed per shop, through its API (Shopify, Lightspeed)."""

    async def subscribe(self, topic: str, callback_url: str) -> str:
        """Deliver `topic` to `callback_url`; returns the subscription's id."""
        ...

    async def move_subscription(self, subscription_id: str, callback_url: str) -> str: ...


class PosError(Exception):
    """Base of every connector error. ``status`` is the HTTP status when one was received."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class PosAuthError(PosError):
    """401/403 or missing access: the token was revoked or lacks a scope; the integration needs re-authorization."""


class PosRateLimited(PosError):
    """Still throttled after the retry budget. ``retry_after`` is the provider's last hint in seconds, if any."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class PosUnavailable(PosError):
    """5xx, timeouts, connection failures or truncated bodies that outlasted the retry budget."""


class PosBadResponse(PosError):
    """An answer of unexpected shape, a non-retryable 4xx, or a GraphQL error other than throttling."""
