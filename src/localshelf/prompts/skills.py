"""One prompt per agent skill: a guided workflow naming the real tools and arguments, what to show the person,
and how patiently to poll. Tool calls are written `tool_name(argument=...)` (a test checks each one exists)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from localshelf.server.state import AppState

POLITE_POLLING = (
    "Polling etiquette: never call a status tool in a tight loop. Wait the `interval` or `wait_seconds` a result "
    "gives you (at least 5 s), keep the person informed while you wait, and stop after about 15 minutes and ask them."
)


def _known(value: str | None, missing: str) -> str:
    return repr(value) if value else missing


def register(server: MCPServer[AppState]) -> None:
    @server.prompt(name="local-product-search", title="Find a product in stock nearby")
    def local_product_search(
        what: Annotated[str, Field(description="What the shopper wants, in their words (e.g. 'cordless drill').")],
        near: Annotated[str, Field(description="Where the shopper is: an address, a place, or 'lat,lon'.")],
    ) -> str:
        """Help a shopper find a product in stock at a store near them."""
        return (
            f"A shopper wants: {what!r}, near {near!r}.\n"
            "1. Get the shopper's latitude/longitude (ask if unknown; decimal degrees).\n"
            "2. Call search_local_products(query=<the shopper's words>, latitude=..., longitude=..., radius_km=5); "
            "widen to radius_km=15 if nothing comes back. If you have a barcode, use "
            "check_product_availability(gtin=..., latitude=..., longitude=...) instead.\n"
            "3. Answer with the best 3 results: store name, distance_km, price (minor units: 1999 = 19.99), status, "
            "and how fresh the stock level is (confidence: confirmed <1 h, likely <24 h, uncertain older; see "
            "localshelf://docs/confidence-levels). Never promise stock that is not confirmed; suggest calling the "
            "store's phone for 'uncertain' results. If `corrections` is not empty, say which word was corrected."
        )

    @server.prompt(name="onboard-retailer", title="Make a retailer discoverable in local search")
    def onboard_retailer(
        retailer_name: Annotated[str, Field(description="The retailer's trading name.")],
        organization_id: Annotated[
            str | None, Field(description="The retailer's organization id (org_...), if it already exists.")
        ] = None,
        pos_provider: Annotated[
            str | None, Field(description="Their POS if known: shopify, square, clover or lightspeed; 'none' if none.")
        ] = None,
        shop_domain: Annotated[
            str | None, Field(description="Shopify only: the shop domain, e.g. 'alder-hardware.myshopify.com'.")
        ] = None,
        store_address: Annotated[str | None, Field(description="The first store's street address, if known.")] = None,
    ) -> str:
        """Take a retailer from signed-up to discoverable: POS connect (device code), store, mapping, first sync."""
        organization = (
            f"The organization is {organization_id!r}."
            if organization_id
            else f"First create_organization(name={retailer_name!r}, kind='retailer') and keep its id."
        )
        return (
            f"Onboard the retailer {retailer_name!r} so that shoppers' local searches find its stock. {organization}\n"
            f"POS: {_known(pos_provider, 'ask which one they use')}; shop: {_known(shop_domain, 'ask if Shopify')}; "
            f"store address: {_known(store_address, 'ask')}.\n\n"
            "The loop: call get_onboarding_status(organization_id=...) and do exactly what blockers[0].next_step "
            "says: its `tool` with its `arguments` (a value in <angle brackets> is a question for the retailer); "
            "show `handoff` to the person; wait `wait_seconds` first. Ask again after every step, until "
            "`discoverable` is true. Tell the person about `warnings`; they do not block search.\n\n"
            "POS route (the usual first blocker):\n"
            "1. start_pos_connect(organization_id=..., provider=..., account=<Shopify shop domain; leave out for "
            "Square, Clover, Lightspeed>).\n"
            "2. Hand off: show the person `user_code` and `verification_uri` (they open it on any device, enter the "
            "code, approve, then consent at their POS), or the `verification_uri_complete` link. If they are at this "
            "computer, `install_url` is a one-click alternative (single use; treat it as a secret). Never show "
            "`device_code`.\n"
            "3. poll_pos_connect(device_code=...) no faster than every `interval` seconds; on slow_down use the new "
            "`interval`. access_denied: ask the person what happened; expired_token: start again. connected: the "
            "POS's webhooks are set up and its first full sync is queued.\n"
            "4. Back to get_onboarding_status: it asks for list_pos_locations(integration_id=...), then "
            "publish_location(...) prefilled from the POS location (confirm the address and get the entrance's "
            "latitude/longitude, or a US postal_code), then map_pos_locations(integration_id=..., mapping=[...]) "
            "(confirm each pair), then trigger_sync(integration_id=...) — or, when a sync is already running, "
            "get_sync_job(job_id=...) every 10 s or more until `state` is succeeded. Publish every store they have: "
            "search ranks per store by distance.\n\n"
            "Manual route (no POS; take blockers[0].alternative): publish_location(organization_id=..., name=..., "
            "address_line1=..., city=..., country=..., latitude=..., longitude=...); for each product "
            "register_product(gtin=..., name=..., brand=..., category=...) if get_product(gtin=...) does not find it, "
            "then create_in_store_offer(organization_id=..., location_id=..., gtin=..., sku=..., price_minor=<cents>, "
            "currency=..., quantity_on_hand=...). Remind them to keep stock current with update_in_store_offer(...).\n\n"
            "Done when discoverable is true: confirm with search_local_products(query=<one product they carry>, "
            "latitude=<the store's>, longitude=<the store's>, radius_km=5) and show the person their store in the "
            f"results.\n{POLITE_POLLING}"
        )

    @server.prompt(name="claim-brand", title="Claim a brand and its barcodes")
    def claim_brand(
        brand_name: Annotated[str, Field(description="The brand as printed on its products, e.g. 'DeWalt'.")],
        organization_id: Annotated[
            str | None, Field(description="The brand owner's organization id (org_..., kind brand), if it exists.")
        ] = None,
        company_prefixes: Annotated[
            str | None,
            Field(description="GS1 company prefixes (6-12 digits each, comma-separated), from the GS1 certificate."),
        ] = None,
        evidence_url: Annotated[
            str | None, Field(description="https URL proving ownership: GS1 certificate or trademark record.")
        ] = None,
    ) -> str:
        """Claim a brand for its owner so its products (by GTIN prefix) and retail footprint are theirs to see."""
        organization = (
            f"The brand organization is {organization_id!r} (the caller must be its owner)."
            if organization_id
            else "First create_organization(name=<the company>, kind='brand'); the creator becomes its owner."
        )
        return (
            f"Claim the brand {brand_name!r} for its owner. {organization}\n"
            f"Company prefixes: {_known(company_prefixes, 'ask the person; they are on the GS1 certificate')}. "
            f"Evidence: {_known(evidence_url, 'ask for an https link to the GS1 certificate or trademark record')}.\n"
            f"1. claim_brand(organization_id=..., brand_name={brand_name!r}, gtin_company_prefixes=[...], "
            "evidence_url=...). Prefixes are the digits the brand's EAN-13/GTIN-13 barcodes start with (6 to 12).\n"
            "2. Show the person the claim's `status` (pending) and any `overlaps`: other claims on this brand or on "
            "overlapping prefixes. An overlap with a verified claim must be sorted out with the operator.\n"
            "3. Handoff: an operator verifies the claim (checking GS1's registry and the evidence) — tell the person "
            "this takes a human, possibly days. Check with list_brand_claims(organization_id=...) when they come "
            "back, or at most every few minutes within one conversation; never poll in a loop.\n"
            "4. Verified: brand_retail_footprint(brand=...) now shows full figures (stock statuses, offer counts, "
            "freshness mix) to members of this organization, and brand_search_demand(brand=<brand_id>) opens up. "
            "Rejected: show the operator's note and what evidence is missing; calling claim_brand again re-submits.\n"
            f"{POLITE_POLLING}"
        )

    @server.prompt(name="check-product-availability", title="Which stores nearby carry this barcode?")
    def check_product_availability(
        gtin: Annotated[str, Field(description="The product's barcode: UPC-A (12), EAN-13, EAN-8 or GTIN-14 digits.")],
        near: Annotated[str, Field(description="Where the shopper is: an address, a place, or 'lat,lon'.")],
        radius_km: Annotated[str | None, Field(description="Search radius in km (default 10, at most 100).")] = None,
    ) -> str:
        """Check which stores near a shopper carry a product by its barcode, and whether it is in stock."""
        radius = radius_km or "10"
        return (
            f"A shopper has the barcode {gtin!r} and is near {near!r}.\n"
            "1. Get their latitude/longitude in decimal degrees (ask if unknown).\n"
            f"2. check_product_availability(gtin={gtin!r}, latitude=..., longitude=..., radius_km={radius}). "
            "invalid_gtin means a digit was misread (the check digit fails): ask them to read it again. If nothing "
            "is found, widen radius_km once (to 25), then say so honestly.\n"
            "3. Answer nearest first: store, distance_km, price (minor units), status and confidence. Stores listed "
            "out_of_stock carry it but are sold out: say so rather than hiding them. For 'uncertain' or 'unknown' "
            "confidence, suggest phoning the store.\n"
            "4. If no store carries it, get_product(gtin=...) gives its name: offer "
            "search_local_products(query=<that name>, latitude=..., longitude=...) for similar products in stock."
        )

    @server.prompt(name="brand-retail-footprint", title="Where a brand is carried, searched for, and missing")
    def brand_retail_footprint(
        brand: Annotated[str, Field(description="Brand name (e.g. 'DeWalt') or brand id (brd_...).")],
        near: Annotated[
            str | None, Field(description="Optional area to focus on: an address, a place, or 'lat,lon'.")
        ] = None,
        radius_km: Annotated[str | None, Field(description="Radius in km around `near` (default 25).")] = None,
    ) -> str:
        """Show a brand owner where their products are carried, where shoppers search for them, and the gaps."""
        area = (
            f" around {near!r} (get its latitude/longitude; radius_km={radius_km or 25})"
            if near
            else " (everywhere; add latitude, longitude and radius_km to focus on an area)"
        )
        return (
            f"Report the retail footprint of the brand {brand!r}{area}.\n"
            f"1. brand_retail_footprint(brand={brand!r}, group_by='retailer') — and again with group_by='region' "
            "or 'product' if the person asks. Note `visibility`: 'full' (a verified owner: stock statuses, offer "
            "counts, freshness mix) or 'public' (only what shoppers see: in-stock stores). Keep `brand_id`.\n"
            "2. brand_search_demand(brand=<brand_id>, days=30): where shoppers searched for the brand, per ~11 km "
            "cell, and how many searches found nothing in stock. forbidden means the caller's organization has no "
            "verified claim on the brand: offer the claim-brand workflow (claim_brand(...)) instead.\n"
            "3. brand_coverage_gaps(brand=<brand_id>, days=30, radius_km=10): cells where people searched but no "
            "store within radius_km has the brand in stock, most unmet searches first.\n"
            "4. Summarise for the person: retailers and stores carrying the brand (top 5), regions with demand but no "
            "stock (the best places to win new retailers), and how fresh the stock data is. Distances are km. "
            "These are read-only reports: call each once per question, not in a loop."
        )
