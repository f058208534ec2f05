"""POS locations and their mapping to localshelf Locations.

Stock from a POS location counts for search only once the location is mapped to a published
localshelf Location; unmapped locations are remembered (and their stock kept by the sync) but
stay out of search. Suggestions match by postal code and name.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select

from localshelf.domain.errors import NotFound
from localshelf.domain.text import tokens
from localshelf.pos.contract import PosLocation
from localshelf.services.connect import owned_integration
from localshelf.services.materialize import materialize_all
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Location, PosLocationLink

SUGGESTION_THRESHOLD = 0.3


class PosLocationView(BaseModel):
    pos_location_id: str = Field(description="The POS's own id for the location.")
    name: str
    address_line1: str | None
    city: str | None
    postal_code: str | None
    active: bool
    mapped_location_id: str | None = Field(description="The localshelf location its stock counts for.")
    suggested_location_id: str | None = Field(description="Best guess by postal code and name; map to confirm.")


class PosLocationList(BaseModel):
    integration_id: str
    integration_status: str = Field(description="Not 'connected': the list is what was last seen; see get_integration.")
    refreshed: bool = Field(description="True when the list was just read from the POS.")
    locations: list[PosLocationView]


class LocationMapping(BaseModel):
    pos_location_id: str = Field(max_length=255)
    location_id: str | None = Field(default=None, max_length=64, description="null unmaps the POS location.")


def store_pos_locations(uow: UnitOfWork, integration_id: str, seen: list[PosLocation], now: datetime) -> None:
    integration, _ = owned_integration(uow, integration_id, write=False)
    links = {
        link.external_id: link
        for link in uow.session.scalars(select(PosLocationLink).where(PosLocationLink.integration_id == integration.id))
    }
    for location in seen:
        link = links.get(location.external_id)
        if link is None:
            link = PosLocationLink(integration_id=integration.id, external_id=location.external_id)
            uow.session.add(link)
        link.name, link.address_line1, link.city = location.name[:200], location.address_line1, location.city
        link.postal_code, link.active, link.updated_at = location.postal_code, location.active, now
    uow.session.flush()


def _similarity(link: PosLocationLink, location: Location) -> float:
    a, b = set(tokens(link.name)), set(tokens(location.name))
    name = len(a & b) / len(a | b) if a | b else 0.0
    same_postal = bool(link.postal_code and location.postal_code and link.postal_code == location.postal_code)
    return 0.6 * same_postal + 0.4 * name


def list_pos_locations(uow: UnitOfWork, integration_id: str, refreshed: bool = False) -> PosLocationList:
    integration, _ = owned_integration(uow, integration_id, write=False)
    ours = list(uow.session.scalars(select(Location).where(Location.organization_id == integration.organization_id)))
    by_pk = {location.id: location for location in ours}
    links = uow.session.scalars(
        select(PosLocationLink).where(PosLocationLink.integration_id == integration.id).order_by(PosLocationLink.id)
    )
    views = []
    for link in links:
        scored = sorted(((_similarity(link, loc), loc.public_id) for loc in ours), reverse=True)
        suggestion = scored[0][1] if scored and scored[0][0] >= SUGGESTION_THRESHOLD else None
        mapped = by_pk.get(link.location_id) if link.location_id else None
        views.append(
            PosLocationView(
                pos_location_id=link.external_id,
                name=link.name,
                address_line1=link.address_line1,
                city=link.city,
                postal_code=link.postal_code,
                active=link.active,
                mapped_location_id=mapped.public_id if mapped else None,
                suggested_location_id=None if mapped else suggestion,
            )
        )
    return PosLocationList(
        integration_id=integration.public_id,
        integration_status=integration.status,
        refreshed=refreshed,
        locations=views,
    )


def map_pos_locations(
    uow: UnitOfWork, integration_id: str, mapping: list[LocationMapping], now: datetime
) -> PosLocationList:
    """Map POS locations; the stock already synced for them turns into offers (or leaves) at once."""
    integration, _ = owned_integration(uow, integration_id, write=True)
    links = {
        link.external_id: link
        for link in uow.session.scalars(select(PosLocationLink).where(PosLocationLink.integration_id == integration.id))
    }
    for entry in mapping:
        link = links.get(entry.pos_location_id)
        if link is None:
            raise NotFound(
                f"No POS location {entry.pos_location_id!r:.80} on this integration; list_pos_locations first."
            )
        if entry.location_id is None:
            link.location_id = None
            continue
        location = uow.session.scalar(select(Location).where(Location.public_id == entry.location_id))
        if location is None or location.organization_id != integration.organization_id:
            raise NotFound.of("location", entry.location_id)
        link.location_id = location.id
    uow.session.flush()
    materialize_all(uow, integration.organization_id, integration.id, now)
    return list_pos_locations(uow, integration_id)
