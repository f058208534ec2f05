"""Tools: sync jobs (catalog + inventory from the POS) and the webhook endpoints that keep stock live."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from localshelf.server.state import AppState, app_state
from localshelf.services import pos_flows, sync_jobs, webhooks
from localshelf.services.pos_flows import SyncStarted
from localshelf.services.sync_jobs import SyncJobList, SyncJobView
from localshelf.services.webhooks import WebhookEndpointList, WebhookEndpointView
from localshelf.tools import hints
from localshelf.tools.integrations import IntegrationId
from localshelf.tools.types import _id_of

SyncJobId = Annotated[
    str, Field(description="Sync job id.", max_length=64, examples=["job_7k3m9x2p4q8r"]), _id_of("sync_job")
]
EndpointId = Annotated[
    str,
    Field(description="Webhook endpoint id.", max_length=64, examples=["whk_7k3m9x2p4q8r"]),
    _id_of("webhook_endpoint"),
]


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.creates("Trigger sync"))
    async def trigger_sync(
        integration_id: IntegrationId,
        ctx: Context[AppState, Any],
        mode: Annotated[
            Literal["full", "incremental"],
            Field(
                description="full: re-read the whole catalog and every store's stock (finds deletions). "
                "incremental: only products changed since the last successful sync, plus all stock."
            ),
        ] = "full",
        wait: Annotated[
            bool,
            Field(description="true: run now and answer the finished job (progress is reported); false: queue it."),
        ] = True,
    ) -> SyncStarted:
        """Sync a connected POS now: products, prices and per-store stock become offers at mapped stores.

        Only one sync per integration runs at a time; if one is under way you get that job (started=false).
        With wait=false, follow it with get_sync_job.
        """
        state = app_state(ctx)
        kind = "manual" if mode == "full" else "incremental"

        async def progress(done: float, total: float | None, message: str) -> None:
            await ctx.report_progress(done, total, message)

        started = await pos_flows.trigger_sync(state.pos, state, integration_id, kind, wait, progress)
        if not wait:
            state.nudge.set()
        return started

    @server.tool(annotations=hints.read_only("Get sync job"))
    async def get_sync_job(job_id: SyncJobId, ctx: Context[AppState, Any]) -> SyncJobView:
        """A sync job's state (queued, running, succeeded, failed, cancelled), phase, counters and error.
        Use it to follow trigger_sync(wait=false): poll every few seconds until succeeded or failed."""
        return await app_state(ctx).read(sync_jobs.get_sync_job, job_id)

    @server.tool(annotations=hints.read_only("List sync jobs"))
    async def list_sync_jobs(
        integration_id: IntegrationId,
        ctx: Context[AppState, Any],
        limit: Annotated[int, Field(ge=1, le=100, description="How many of the newest jobs.")] = 20,
    ) -> SyncJobList:
        """An integration's sync jobs, newest first. Use it to see why stock looks stale (a failed or missing sync)."""
        return await app_state(ctx).read(sync_jobs.list_sync_jobs, integration_id, limit)

    @server.tool(annotations=hints.replaces("Cancel sync job"))
    async def cancel_sync_job(job_id: SyncJobId, ctx: Context[AppState, Any]) -> SyncJobView:
        """Cancel a queued sync, or stop a running one after its current page (what it wrote is kept)."""
        state = app_state(ctx)
        return await state.run(sync_jobs.cancel_sync_job, job_id, state.clock())

    @server.tool(annotations=hints.read_only("List webhook endpoints"))
    async def list_webhook_endpoints(integration_id: IntegrationId, ctx: Context[AppState, Any]) -> WebhookEndpointList:
        """Where the POS sends live updates for this integration (created when it connects), with delivery counts."""
        state = app_state(ctx)
        return await state.read(webhooks.list_webhook_endpoints, integration_id, state.settings.web_base_url)

    @server.tool(annotations=hints.read_only("Get webhook endpoint"))
    async def get_webhook_endpoint(endpoint_id: EndpointId, ctx: Context[AppState, Any]) -> WebhookEndpointView:
        """One webhook endpoint: topics, last delivery, accepted and duplicate deliveries, rotation state."""
        state = app_state(ctx)
        return await state.read(webhooks.get_webhook_endpoint, endpoint_id, state.settings.web_base_url)

    @server.tool(annotations=hints.replaces("Rotate webhook secret"))
    async def rotate_webhook_secret(endpoint_id: EndpointId, ctx: Context[AppState, Any]) -> WebhookEndpointView:
        """Give the endpoint a new secret delivery URL and tell the POS; the old URL keeps working for 24 hours."""
        state = app_state(ctx)
        return await pos_flows.rotate_webhook_secret(state.pos, state, endpoint_id)
