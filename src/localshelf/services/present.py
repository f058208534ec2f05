"""ORM rows to the views agents see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from localshelf.domain.confidence import confidence_for
from localshelf.services.views import (
    Address,
    LocationView,
    OfferView,
    Price,
    ProductSummary,
    ProductView,
    StoreSummary,
)
from localshelf.store.models import InStoreOffer, Location, Organization, Product


def address(location: Location) -> Address:
    return Address(
        line1=location.address_line1,
        line2=location.address_line2,
        city=location.city,
        region=location.region,
        postal_code=location.postal_code,
        country=location.country,
    )


def location_view(location: Location, organization: Organization) -> LocationView:
    return LocationView(
        id=location.public_id,
        organization_id=organization.public_id,
        name=location.name,
        address=address(location),
        latitude=location.latitude,
        longitude=location.longitude,
        timezone=location.timezone,
        opening_hours=location.opening_hours,
        phone=location.phone,
        website=location.website,
        published=location.published,
        created_at=location.created_at,
        updated_at=location.updated_at,
    )


def product_summary(product: Product) -> ProductSummary:
    return ProductSummary(id=product.public_id, gtin=product.gtin, name=product.name, brand=product.brand)


def product_view(product: Product, created: bool = False) -> ProductView:
    return ProductView(
        id=product.public_id,
        gtin=product.gtin,
        name=product.name,
        brand=product.brand,
        description=product.description,
        category=product.category,
        image_urls=list(product.image_urls or []),
        created=created,
    )


def store_summary(location: Location, organization: Organization, distance_km: float) -> StoreSummary:
    return StoreSummary(
        location_id=location.public_id,
        organization_id=organization.public_id,
        name=location.name,
        address=address(location),
        latitude=location.latitude,
        longitude=location.longitude,
        phone=location.phone,
        distance_km=round(distance_km, 3),
    )


def store_stock(
    offer: InStoreOffer, location: Location, organization: Organization, distance_km: float, now: datetime
) -> dict[str, Any]:
    """The `StoreStock` fields of an offer seen from `distance_km` away."""
    return {
        "offer_id": offer.public_id,
        "store": store_summary(location, organization, distance_km),
        "price": Price.of(offer.price_minor, offer.currency),
        "quantity_on_hand": offer.quantity_on_hand,
        "status": offer.status,
        "confidence": confidence_for(offer.last_inventory_sync, now),
        "last_inventory_sync": offer.last_inventory_sync,
    }


def offer_view(
    offer: InStoreOffer, product: Product, location: Location, organization: Organization, now: datetime
) -> OfferView:
    return OfferView(
        id=offer.public_id,
        organization_id=organization.public_id,
        location_id=location.public_id,
        product=product_summary(product),
        sku=offer.sku,
        price=Price.of(offer.price_minor, offer.currency),
        quantity_on_hand=offer.quantity_on_hand,
        status=offer.status,
        source=offer.source,
        last_inventory_sync=offer.last_inventory_sync,
        confidence=confidence_for(offer.last_inventory_sync, now),
        updated_at=offer.updated_at,
    )
