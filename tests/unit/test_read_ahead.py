"""`read_ahead`: the same pages in order, the next one requested while the caller works, never more than one
ahead; errors raised where they happen, with their own type; leaving early stops the reading."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from localshelf.services.read_ahead import read_ahead

pytestmark = pytest.mark.anyio


class ProviderDown(Exception):
    """The provider failed to answer a page."""


class Listing:
    """Pages 0..count-1, recording which were requested; raises ProviderDown instead of page `fail_at`."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.requested: list[int] = []
        self.closed = False

    async def pages(self) -> AsyncIterator[int]:
        try:
            for page in range(self.count):
                self.requested.append(page)
                await anyio.sleep(0)
                if page == self.fail_at:
                    raise ProviderDown(f"page {page}")
                yield page
        finally:
            self.closed = True


async def test_pages_come_in_order_with_the_next_one_requested_while_the_caller_works() -> None:
    listing = Listing(5)
    seen, requested_while_working = [], []
    async with read_ahead(listing.pages()) as pages:
        async for page in pages:
            await anyio.sleep(0.01)  # the caller writing the page
            requested_while_working.append(list(listing.requested))
            seen.append(page)
    assert seen == [0, 1, 2, 3, 4]
    # while page k is written, page k + 1 has been asked for, and nothing beyond it
    assert requested_while_working == [list(range(min(k + 2, 5))) for k in range(5)]


async def test_a_provider_error_is_raised_where_its_page_would_be_with_its_own_type() -> None:
    listing, seen = Listing(5, fail_at=3), []
    with pytest.raises(ProviderDown, match="page 3"):
        async with read_ahead(listing.pages()) as pages:
            async for page in pages:
                seen.append(page)
    assert seen == [0, 1, 2]


async def test_an_error_of_the_caller_comes_out_unwrapped_and_stops_the_reading() -> None:
    listing = Listing(100)
    with pytest.raises(KeyError):
        async with read_ahead(listing.pages()) as pages:
            async for _page in pages:
                raise KeyError("cancelled")
    assert listing.requested in ([0], [0, 1]) and listing.closed  # at most the page after it was asked for


async def test_leaving_early_stops_the_reading() -> None:
    listing = Listing(100)
    async with read_ahead(listing.pages()) as pages:
        async for page in pages:
            if page == 2:
                break
    assert listing.requested in ([0, 1, 2], [0, 1, 2, 3]) and listing.closed
