"""Tools: store locations."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel, Field

from localshelf.server.state import AppState, app_state
from localshelf.services import locations
from localshelf.services.locations import LocationFields, PublishedLocation
from localshelf.services.views import LocationView, NearbyLocation
from localshelf.tools import hints
from localshelf.tools.types import (
    CountryCode,
    Latitude,
    LocationId,
    Longitude,
    OpeningHours,
    OrganizationId,
    RadiusKm,
    Text20,
    Text40,
    Text100,
    Text200,
    TimeZone,
    WebUrl,
)

Name = Annotated[Text200, Field(description="Store name as shoppers know it.", examples=["Alder Hardware – Sellwood"])]
Line1 = Annotated[Text200, Field(description="Street address.", examples=["1234 SE Milwaukie Ave"])]
Line2 = Annotated[Text200, Field(description="Suite, unit or floor.", examples=["Suite 200"])]
City = Annotated[Text100, Field(description="City or locality.", examples=["Portland"])]
Region = Annotated[Text100, Field(description="State, province or region.", examples=["OR"])]
Postal = Annotated[
    Text20, Field(description="Postal code; a US ZIP code can stand in for coordinates.", examples=["97202"])
]
Phone = Annotated[Text40, Field(description="Public phone number, ideally E.164.", examples=["+15035550123"])]
StoreLatitude = Annotated[
    Latitude, Field(description="Latitude of the store entrance, decimal degrees (WGS84).", examples=[45.4647])
]
StoreLongitude = Annotated[
    Longitude, Field(description="Longitude of the store entrance, decimal degrees (WGS84).", examples=[-122.6496])
]


class NearbyLocations(BaseModel):
    locations: list[NearbyLocation] = Field(description="Published stores in the radius, nearest first.")


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.creates("Publish store location"))
    async def publish_location(
        organization_id: OrganizationId,
        name: Name,
        address_line1: Line1,
        city: City,
        country: CountryCode,
        ctx: Context[AppState, Any],
        postal_code: Postal | None = None,
        region: Region | None = None,
        address_line2: Line2 | None = None,
        latitude: StoreLatitude | None = None,
        longitude: StoreLongitude | None = None,
        timezone: TimeZone | None = None,
        opening_hours: OpeningHours | None = None,
        phone: Phone | None = None,
        website: WebUrl | None = None,
    ) -> PublishedLocation:
        """Create and publish a retailer's store so it appears in distance-ranked local search.

        Give the entrance's latitude/longitude when known. Without them, a US ZIP code is
        located offline (approximate: coordinates_source 'postal_code_centroid'); elsewhere
        the call fails with coordinates_required. Publish every store a retailer has.
        Next: find_locations to check it, then offers (create_in_store_offer) or a POS (start_pos_connect).
        """
        fields = LocationFields.from_arguments(locals())
        return await app_state(ctx).run(locations.publish_location, organization_id, fields)

    @server.tool(annotations=hints.changes("Update store location"))
    async def update_location(
        location_id: LocationId,
        ctx: Context[AppState, Any],
        name: Name | None = None,
        address_line1: Line1 | None = None,
        address_line2: Line2 | None = None,
        city: City | None = None,
        region: Region | None = None,
        postal_code: Postal | None = None,
        country: CountryCode | None = None,
        latitude: StoreLatitude | None = None,
        longitude: StoreLongitude | None = None,
        timezone: TimeZone | None = None,
        opening_hours: OpeningHours | None = None,
        phone: Phone | None = None,
        website: WebUrl | None = None,
    ) -> LocationView:
        """Change some fields of a store location; fields left out stay as they are.
        Use it when a store moves, or its name, hours, phone or website change."""
        fields = LocationFields.from_arguments(locals())
        return await app_state(ctx).run(locations.update_location, location_id, fields)

    @server.tool(annotations=hints.changes("Unpublish store location"))
    async def unpublish_location(location_id: LocationId, ctx: Context[AppState, Any]) -> LocationView:
        """Hide a store from local search (offers and data are kept; publish_location is not needed to undo:
        call republish_location)."""
        return await app_state(ctx).run(locations.set_published, location_id, False)

    @server.tool(annotations=hints.changes("Republish store location"))
    async def republish_location(location_id: LocationId, ctx: Context[AppState, Any]) -> LocationView:
        """Make an unpublished store visible in local search again."""
        return await app_state(ctx).run(locations.set_published, location_id, True)

    @server.tool(annotations=hints.read_only("Find stores nearby"))
    async def find_locations(
        latitude: Latitude,
        longitude: Longitude,
        ctx: Context[AppState, Any],
        radius_km: RadiusKm = 5.0,
        organization_id: Annotated[OrganizationId | None, Field(description="Only this organization's stores.")] = None,
        limit: Annotated[int, Field(ge=1, le=200, description="Maximum stores to return.")] = 50,
    ) -> NearbyLocations:
        """Published stores within radius_km of a point, nearest first, each with distance_km.

        Use it to verify a newly published store: searched at its own coordinates it comes back at ~0 km.
        """
        found = await app_state(ctx).read(
            locations.find_locations, latitude, longitude, radius_km, organization_id, limit
        )
        return NearbyLocations(locations=found)
