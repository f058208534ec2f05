"""Builders of test data, made through the MCP tools as an agent would: retailers, stores, products, offers.

Every builder takes an open `mcp.Client` and returns what the tool returned (or the new id). Positions are
(latitude, longitude) pairs; `toward` places a point an exact geodesic distance away with geographiclib,
independently of the server's own distance code.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx2
from geographiclib.geodesic import Geodesic
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select

from localshelf.config import Settings
from localshelf.domain.auth import ALL_SCOPES, Role
from localshelf.domain.brands import brand_key
from localshelf.domain.gtin import with_check_digit
from localshelf.domain.ids import new_public_id
from localshelf.server.app import build_server
from localshelf.services import keys, organizations, sync_jobs, webhooks
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import Brand, Integration, Organization, RetailerItem, WebhookEndpoint
from tests.conftest import FIXED_NOW, call

Point = tuple[float, float]

SELLWOOD: Point = (45.4650, -122.6530)  # Sellwood, Portland OR
NORTH, EAST, SOUTH, WEST = 0.0, 90.0, 180.0, 270.0
DRILL_UPC = "036000291452"  # a valid UPC-A, used for "the drill" across the tests

_product_numbers = itertools.count(1)


@asynccontextmanager
async def client_at(database: Database, when: datetime) -> AsyncIterator[Client]:
    """Another MCP session over the same database whose server clock reads `when`."""
    server = build_server(Settings(database_url="sqlite://", sync_worker=False), database=database, clock=lambda: when)
    async with Client(server) as session:
        yield session


def toward(origin: Point, bearing: float, km: float) -> Point:
    """The point `km` from `origin` along `bearing` (degrees clockwise from north), on WGS84."""
    line = Geodesic.WGS84.Direct(origin[0], origin[1], bearing, km * 1000)
    return line["lat2"], line["lon2"]


def numbered_gtin(n: int) -> str:
    """A valid UPC-A for test product number `n`, distinct for every `n`."""
    return with_check_digit(f"{7_000_000_000 + n:011d}")


async def new_retailer(client: Client, name: str = "Alder Street Hardware", **fields: Any) -> str:
    """create_organization; returns the new organization's id."""
    return str((await call(client, "create_organization", name=name, **fields))["id"])


def store_fields(name: str, at: Point, **fields: Any) -> dict[str, Any]:
    """publish_location arguments (but the organization) for a store at `at` with a fixed Portland address.

    `fields` add arguments or replace the defaults (address_line1, city, country).
    """
    return {
        "name": name,
        "address_line1": "1 SE Main St",
        "city": "Portland",
        "country": "US",
        "latitude": at[0],
        "longitude": at[1],
        **fields,
    }


async def publish_store(client: Client, organization_id: str, name: str, at: Point, **fields: Any) -> dict[str, Any]:
    """publish_location with `store_fields`; returns the published location."""
    return await call(client, "publish_location", organization_id=organization_id, **store_fields(name, at, **fields))


async def new_store(client: Client, organization_id: str, name: str, at: Point, **fields: Any) -> str:
    """`publish_store`, returning only the new location's id."""
    return str((await publish_store(client, organization_id, name, at, **fields))["id"])


async def new_product(client: Client, name: str, gtin: str | None = None, **fields: Any) -> dict[str, Any]:
    """register_product under `gtin`, or under a fresh `numbered_gtin` when none is given; returns the product."""
    code = gtin if gtin is not None else numbered_gtin(next(_product_numbers))
    return await call(client, "register_product", gtin=code, name=name, **fields)


async def new_offer(
    client: Client,
    organization_id: str,
    location_id: str,
    product: dict[str, Any] | None = None,
    *,
    quantity: int = 10,
    sku: str = "SKU-1",
    price_minor: int = 1999,
    **fields: Any,
) -> dict[str, Any]:
    """create_in_store_offer of `product` (a register_product result), or of the product that `fields`
    name by gtin= or product_id=; `fields` add further arguments such as status or currency."""
    if product is not None:
        fields["product_id"] = product["id"]
    return await call(
        client,
        "create_in_store_offer",
        organization_id=organization_id,
        location_id=location_id,
        sku=sku,
        price_minor=price_minor,
        quantity_on_hand=quantity,
        **fields,
    )


@dataclass(frozen=True)
class Onboarded:
    """The ids of what `onboard` created."""

    org: str
    loc: str
    prd: str
    ofr: str


async def onboard(
    client: Client,
    *,
    retailer: str = "Alder Hardware",
    website: str | None = None,
    store: str = "Alder Hardware – Sellwood",
    at: Point = SELLWOOD,
    gtin: str = DRILL_UPC,
    product: str = "DeWalt 20V Cordless Drill",
    brand: str = "DeWalt",
    sku: str = "A1",
    price_minor: int = 9999,
    quantity: int = 5,
    organization_id: str | None = None,
    **location: Any,
) -> Onboarded:
    """A retailer's whole first session: create the organization, publish one store, register one product
    and offer it there (by its GTIN). `location` adds publish_location arguments or replaces the address."""
    org = organization_id or await new_retailer(
        client, retailer, **({"website": website} if website is not None else {})
    )
    loc = await new_store(client, org, store, at, **location)
    prd = await new_product(client, product, gtin=gtin, brand=brand)
    ofr = await new_offer(client, org, loc, gtin=gtin, sku=sku, price_minor=price_minor, quantity=quantity)
    return Onboarded(org=org, loc=loc, prd=str(prd["id"]), ofr=str(ofr["id"]))


@asynccontextmanager
async def http_session(url: str, bearer: str | None) -> AsyncIterator[Client]:
    """A real MCP session over streamable HTTP, sending `Authorization: Bearer <bearer>`."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0)) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def operator_key(
    database: Database, organization_id: str, role: Role = Role.OWNER, scopes: frozenset[str] = ALL_SCOPES
) -> str:
    """An API key made directly by the local operator (as `localshelf keys create` does)."""
    created = database.transaction(
        keys.create_api_key, organization_id, role, sorted(scopes), f"test {role.value}", None, FIXED_NOW
    )
    return created.key


def operator_organization(database: Database, name: str = "Alder Hardware", kind: str = "retailer") -> str:
    return database.transaction(organizations.create_organization, name, kind, None).id


def finished_sync_job(uow: UnitOfWork, integration_id: str) -> str:
    """A sync job of `integration_id` that already failed (so no worker picks it up)."""
    integration = uow.session.scalar(select(Integration).where(Integration.public_id == integration_id))
    assert integration is not None
    job = sync_jobs.enqueue(uow, integration, "manual", "tests", datetime.now(UTC))
    assert job is not None
    job.state, job.phase, job.finished_at, job.error_message = "failed", "done", datetime.now(UTC), "test job"
    return job.public_id


def webhook_endpoint(uow: UnitOfWork, integration_id: str, secret: str | None = None) -> str:
    integration = uow.session.scalar(select(Integration).where(Integration.public_id == integration_id))
    assert integration is not None
    webhooks.save_endpoint(
        uow,
        integration.id,
        ["products/update"],
        ["gid://shopify/WebhookSubscription/1"],
        secret or webhooks.new_secret(),
        datetime.now(UTC),
    )
    endpoint = uow.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.integration_id == integration.id))
    assert endpoint is not None
    return endpoint.public_id


def retailer_item(uow: UnitOfWork, organization_id: str, name: str = "Shop rag", sku: str = "RAG-1") -> str:
    """A barcode-less item of the organization (no tool creates one: a POS sync or an import does)."""
    organization = uow.session.scalar(select(Organization).where(Organization.public_id == organization_id))
    assert organization is not None
    item = RetailerItem(public_id=new_public_id("retailer_item"), organization_id=organization.id, name=name, sku=sku)
    uow.session.add(item)
    uow.session.flush()
    return item.public_id


def brand_row(uow: UnitOfWork, name: str) -> str:
    """A brand nobody has claimed yet (claims create them too)."""
    brand = Brand(public_id=new_public_id("brand"), name=name, name_key=brand_key(name))
    uow.session.add(brand)
    uow.session.flush()
    return brand.public_id
