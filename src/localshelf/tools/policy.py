"""Which credential scope and organization role each tool needs: one table, checked at the boundary.

`scope` is checked before the tool runs (`insufficient_scope`); the role is checked by
the service against the organization the call targets (`forbidden`, or `not_found` for
outsiders). `audited` tools leave an audit entry whatever their outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from localshelf.domain.auth import Scope

Access = Literal[
    "any key",
    "member",
    "owner or manager",
    "owner or manager anywhere",
    "owner",
    "signed-in user",
    "operator",
    "verified brand owner",
]


@dataclass(frozen=True)
class ToolPolicy:
    access: Access
    scope: Scope | None = None
    tenant_scoped: bool = True

    @property
    def audited(self) -> bool:
        return self.scope is not None


PUBLIC = ToolPolicy(access="any key", tenant_scoped=False)

POLICIES: dict[str, ToolPolicy] = {
    "create_organization": ToolPolicy("signed-in user", Scope.ORGANIZATIONS_WRITE, tenant_scoped=False),
    "get_organization": ToolPolicy("member"),
    "publish_location": ToolPolicy("owner or manager", Scope.LOCATIONS_WRITE),
    "update_location": ToolPolicy("owner or manager", Scope.LOCATIONS_WRITE),
    "unpublish_location": ToolPolicy("owner or manager", Scope.LOCATIONS_WRITE),
    "republish_location": ToolPolicy("owner or manager", Scope.LOCATIONS_WRITE),
    "find_locations": PUBLIC,
    "register_product": ToolPolicy("owner or manager anywhere", Scope.OFFERS_WRITE, tenant_scoped=False),
    "get_product": PUBLIC,
    "create_in_store_offer": ToolPolicy("owner or manager", Scope.OFFERS_WRITE),
    "update_in_store_offer": ToolPolicy("owner or manager", Scope.OFFERS_WRITE),
    "list_in_store_offers": ToolPolicy("member"),
    "search_local_products": PUBLIC,
    "check_product_availability": PUBLIC,
    "create_api_key": ToolPolicy("owner", Scope.KEYS_WRITE),
    "list_api_keys": ToolPolicy("owner"),
    "revoke_api_key": ToolPolicy("owner", Scope.KEYS_WRITE),
    "add_member": ToolPolicy("owner", Scope.ORGANIZATIONS_WRITE),
    "list_audit_entries": ToolPolicy("owner"),
    "start_pos_connect": ToolPolicy("owner or manager", Scope.INTEGRATIONS_WRITE),
    "poll_pos_connect": ToolPolicy("owner or manager", Scope.INTEGRATIONS_WRITE),
    "list_integrations": ToolPolicy("member"),
    "get_integration": ToolPolicy("member"),
    "disconnect_integration": ToolPolicy("owner or manager", Scope.INTEGRATIONS_WRITE),
    "list_pos_locations": ToolPolicy("member"),
    "map_pos_locations": ToolPolicy("owner or manager", Scope.INTEGRATIONS_WRITE),
    "trigger_sync": ToolPolicy("owner or manager", Scope.INTEGRATIONS_WRITE),
    "get_sync_job": ToolPolicy("member"),
    "list_sync_jobs": ToolPolicy("member"),
    "cancel_sync_job": ToolPolicy("owner or manager", Scope.INTEGRATIONS_WRITE),
    "list_webhook_endpoints": ToolPolicy("member"),
    "get_webhook_endpoint": ToolPolicy("member"),
    "rotate_webhook_secret": ToolPolicy("owner or manager", Scope.INTEGRATIONS_WRITE),
    "get_onboarding_status": ToolPolicy("member"),
    "list_unmatched_items": ToolPolicy("member"),
    "match_retailer_item": ToolPolicy("owner or manager", Scope.OFFERS_WRITE),
    "claim_brand": ToolPolicy("owner", Scope.BRANDS_WRITE),
    "verify_brand_claim": ToolPolicy("operator", Scope.BRANDS_WRITE, tenant_scoped=False),
    "list_brand_claims": ToolPolicy("member"),
    "brand_retail_footprint": PUBLIC,
    "record_inventory_movement": ToolPolicy("owner or manager", Scope.OFFERS_WRITE),
    "list_inventory_movements": ToolPolicy("member"),
    "set_stock_rules": ToolPolicy("owner or manager", Scope.OFFERS_WRITE),
    "list_low_stock": ToolPolicy("member"),
    "get_product_stock": ToolPolicy("member"),
    "get_search_impressions": ToolPolicy("member"),
    # any role in an organization holding a verified claim on the brand (checked by the service)
    "brand_search_demand": ToolPolicy("verified brand owner", tenant_scoped=False),
    "brand_coverage_gaps": ToolPolicy("verified brand owner", tenant_scoped=False),
}


def policy_for(tool: str) -> ToolPolicy:
    """Unknown tools get the strictest reading: no scope grants them (a missing row is a bug, caught by tests)."""
    return POLICIES[tool]
