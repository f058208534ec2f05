"""Tools: brand claims (GS1 company prefixes, verified by the operator) and a brand's retail footprint."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from localshelf.server.state import AppState, app_state
from localshelf.services import brands
from localshelf.services.brands import BrandClaimList, BrandClaimView, BrandFootprint, Decision
from localshelf.store.footprint import GroupBy
from localshelf.tools import hints
from localshelf.tools.types import (
    BrandRef,
    Latitude,
    Longitude,
    OrganizationId,
    RadiusKm,
    Text20,
    Text200,
    Text300,
    Text500,
)

CompanyPrefix = Annotated[
    Text20,
    Field(description="GS1 company prefix as it begins the EAN-13/GTIN-13: 6 to 12 digits.", examples=["0614141"]),
]
ClaimId = Annotated[str, Field(description="Brand claim id.", examples=["clm_7k3m9x2p4q8r"], max_length=64)]
EvidenceUrl = Annotated[
    Text500,
    Field(
        description="https URL showing the organization owns the brand (GS1 certificate, trademark record).",
        pattern=r"^https://[^\s]+$",
    ),
]


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.creates("Claim brand", idempotent=True))
    async def claim_brand(
        organization_id: OrganizationId,
        brand_name: Annotated[Text200, Field(description="The brand as printed on the products.", examples=["DeWalt"])],
        gtin_company_prefixes: Annotated[
            list[CompanyPrefix],
            Field(
                description="1 to 20 GS1 company prefixes the brand's barcodes start with.",
                max_length=20,
                examples=[["0614141"]],
            ),
        ],
        ctx: Context[AppState, Any],
        evidence_url: Annotated[
            EvidenceUrl | None,
            Field(description="https URL proving ownership.", examples=["https://www.gs1us.org/certificates/0614141"]),
        ] = None,
    ) -> BrandClaimView:
        """Claim a brand for a brand organization (owner only): the claim is pending until the operator verifies it.

        Use it once per brand; calling again replaces the prefixes (and evidence) and makes the claim pending again
        (a verified claim with the same prefixes stays verified). `overlaps` lists other claims on this brand or on
        overlapping prefixes, with their status; other organizations are named only once verified. Next: wait for
        verification (list_brand_claims), then brand_retail_footprint shows the full figures.
        """
        state = app_state(ctx)
        return await state.run(
            brands.claim_brand, organization_id, brand_name, gtin_company_prefixes, evidence_url, state.clock()
        )

    @server.tool(annotations=hints.changes("Verify brand claim"))
    async def verify_brand_claim(
        claim_id: ClaimId,
        decision: Annotated[Decision, Field(description="'verified' or 'rejected'.")],
        ctx: Context[AppState, Any],
        note: Annotated[
            Text300 | None,
            Field(
                description="Why: what was checked (GEPIR result, evidence).",
                examples=["GEPIR: 0614141 licensed to the claimant"],
            ),
        ] = None,
    ) -> BrandClaimView:
        """Operator only: verify or reject a brand claim. A verified claim's prefixes select the brand's products.

        Verify only after checking, in GS1's GEPIR (or the GS1 member organization's registry), that every prefix
        is licensed to the claiming organization, and that the evidence URL supports its ownership of the brand.
        Verifying is refused (prefix_conflict) while another verified claim has a prefix that begins, or is begun
        by, one of this claim's: reject that claim first if GS1 says so. Rejected claims never count. A decided
        claim can be decided again (rejecting a verified claim revokes it).
        """
        state = app_state(ctx)
        return await state.run(brands.verify_brand_claim, claim_id, decision, note, state.clock())

    @server.tool(annotations=hints.read_only("List brand claims"))
    async def list_brand_claims(organization_id: OrganizationId, ctx: Context[AppState, Any]) -> BrandClaimList:
        """A brand organization's claims, oldest first, with status, prefixes and overlapping claims."""
        return await app_state(ctx).read(brands.list_brand_claims, organization_id)

    @server.tool(annotations=hints.read_only("Brand retail footprint"))
    async def brand_retail_footprint(
        brand: BrandRef,
        ctx: Context[AppState, Any],
        latitude: Annotated[
            Latitude | None, Field(description="Centre point latitude in decimal degrees (with longitude).")
        ] = None,
        longitude: Annotated[
            Longitude | None, Field(description="Centre point longitude in decimal degrees (with latitude).")
        ] = None,
        radius_km: Annotated[
            RadiusKm | None, Field(description="Radius in km around the point (default 25; needs the point).")
        ] = None,
        group_by: Annotated[
            GroupBy, Field(description="'retailer', 'region' (state/province and country) or 'product'.")
        ] = "retailer",
        limit: Annotated[int, Field(ge=1, le=200, description="At most this many groups, most stores first.")] = 50,
    ) -> BrandFootprint:
        """Which retailers and published stores carry a brand's products, grouped by retailer, region or product.

        The brand's products: those whose brand field names it, plus GTINs under its verified company prefixes.
        Members of an organization with a verified claim on the brand get full figures (every stock status, offer
        counts, in-stock share, freshness mix); everyone else gets what search shows: only in_stock/low_stock offers
        and only retailer/store counts (offer counts, shares, status and freshness mixes are null). With a point,
        only stores within radius_km count and the nearest stores are listed (distances in km).
        """
        state = app_state(ctx)
        return await state.read(
            brands.brand_retail_footprint, brand, latitude, longitude, radius_km, group_by, limit, state.clock()
        )
