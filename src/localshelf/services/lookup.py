"""Fetching aggregates by public id: the one place `not_found` is raised for them."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import LoaderOption

from localshelf.domain.errors import NotFound
from localshelf.store.models import (
    ApiKey,
    InStoreOffer,
    Integration,
    Location,
    Organization,
    Product,
    SyncJob,
    WebhookEndpoint,
)

Model = TypeVar("Model", Organization, Location, Product, InStoreOffer)

KIND: dict[type, str] = {
    Organization: "organization",
    Location: "location",
    Product: "product",
    InStoreOffer: "offer",
    ApiKey: "API key",
    Integration: "integration",
    SyncJob: "sync job",
    WebhookEndpoint: "webhook endpoint",
}


def by_public_id(session: Session, model: type[Model], public_id: str, *options: LoaderOption) -> Model:
    found = session.scalar(select(model).where(model.public_id == public_id).options(*options))
    if found is None:
        raise NotFound.of(KIND[model], public_id)
    return found


def product_by_gtin(session: Session, gtin: str) -> Product | None:
    return session.scalar(select(Product).where(Product.gtin == gtin))
