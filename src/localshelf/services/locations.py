"""Store locations: publish with coordinates, update, unpublish, find nearby."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import joinedload

from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.geo import validate_coordinates
from localshelf.domain.ids import new_public_id
from localshelf.services.access import writable
from localshelf.services.geocode import postal_centroid
from localshelf.services.lookup import by_public_id
from localshelf.services.present import location_view
from localshelf.services.views import LocationView, NearbyLocation, OpeningHours
from localshelf.store import queries
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Location, Organization


class LocationFields(BaseModel):
    """Location attributes as given by a caller; None means "not given"."""

    name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None
    opening_hours: OpeningHours | None = None
    phone: str | None = None
    website: str | None = None

    @classmethod
    def from_arguments(cls, arguments: dict[str, Any]) -> LocationFields:
        """The location fields among a tool's arguments (its `locals()`), ignoring the rest."""
        return cls.model_validate({name: arguments[name] for name in cls.model_fields if name in arguments})


class PublishedLocation(LocationView):
    coordinates_source: str


def publish_location(uow: UnitOfWork, organization_id: str, fields: LocationFields) -> PublishedLocation:
    organization = writable(uow, Organization, organization_id)
    if organization.kind != "retailer":
        raise InvalidInput(
            f"Organization {organization_id!r} is a brand; only retailers have store locations.",
            ErrorCode.WRONG_ORGANIZATION_KIND,
        )
    values = fields.model_dump()
    for required in ("name", "address_line1", "city", "country"):
        if not values.get(required):
            raise InvalidInput(f"{required} is required to publish a location.")
    source = "provided"
    if fields.latitude is None or fields.longitude is None:
        if (fields.latitude is None) != (fields.longitude is None):
            raise InvalidInput("Give both latitude and longitude, or neither.", ErrorCode.INVALID_COORDINATES)
        centroid = postal_centroid(values["country"], fields.postal_code)
        if centroid is None:
            raise InvalidInput(
                "No coordinates given and the postal code could not be located offline: "
                "pass latitude and longitude (decimal degrees, WGS84) for the store's entrance.",
                ErrorCode.COORDINATES_REQUIRED,
            )
        values.update(latitude=centroid.latitude, longitude=centroid.longitude)
        values["timezone"] = values["timezone"] or centroid.timezone
        source = "postal_code_centroid"
    validate_coordinates(values["latitude"], values["longitude"])
    location = Location(public_id=new_public_id("location"), organization_id=organization.id, published=True, **values)
    uow.session.add(location)
    uow.session.flush()
    return PublishedLocation(**location_view(location, organization).model_dump(), coordinates_source=source)


def _owned_location(uow: UnitOfWork, location_id: str) -> Location:
    return writable(uow, Location, location_id, joinedload(Location.organization))


def update_location(uow: UnitOfWork, location_id: str, fields: LocationFields) -> LocationView:
    location = _owned_location(uow, location_id)
    changes: dict[str, Any] = fields.model_dump(exclude_none=True)
    if not changes:
        raise InvalidInput("Nothing to update: give at least one field to change.")
    if ("latitude" in changes) != ("longitude" in changes):
        raise InvalidInput("Move a store with both latitude and longitude.", ErrorCode.INVALID_COORDINATES)
    if "latitude" in changes:
        validate_coordinates(changes.get("latitude", location.latitude), changes.get("longitude", location.longitude))
    for name, value in changes.items():
        setattr(location, name, value)
    uow.session.flush()
    return location_view(location, location.organization)


def set_published(uow: UnitOfWork, location_id: str, published: bool) -> LocationView:
    location = _owned_location(uow, location_id)
    location.published = published
    uow.session.flush()
    return location_view(location, location.organization)


def find_locations(
    uow: UnitOfWork,
    latitude: float,
    longitude: float,
    radius_km: float,
    organization_id: str | None,
    limit: int,
) -> list[NearbyLocation]:
    org_pk = by_public_id(uow.session, Organization, organization_id).id if organization_id else None
    nearby = queries.nearby_stores(uow.session, uow.dialect, latitude, longitude, radius_km, org_pk)
    rows = queries.find_locations(uow.session, uow.dialect, nearby, limit)
    return [
        NearbyLocation(**location_view(location, location.organization).model_dump(), distance_km=round(distance, 3))
        for location, distance in rows
    ]
