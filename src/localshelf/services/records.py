"""Single records read by id, for callers that have no list tool (MCP resources): a location, an offer.

The same tenant check (`access.readable`: outsiders get not_found) and the same views as the tools.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import joinedload

from localshelf.services.access import readable
from localshelf.services.present import location_view, offer_view
from localshelf.services.views import LocationView, OfferView
from localshelf.store.db import UnitOfWork
from localshelf.store.models import InStoreOffer, Location


def get_location(uow: UnitOfWork, location_id: str) -> LocationView:
    location = readable(uow, Location, location_id, joinedload(Location.organization))
    return location_view(location, location.organization)


def get_offer(uow: UnitOfWork, offer_id: str, now: datetime) -> OfferView:
    offer = readable(
        uow,
        InStoreOffer,
        offer_id,
        joinedload(InStoreOffer.product),
        joinedload(InStoreOffer.location),
        joinedload(InStoreOffer.organization),
    )
    return offer_view(offer, offer.product, offer.location, offer.organization, now)
