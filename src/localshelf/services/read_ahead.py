"""Fetch the next page of a POS listing while the current one is being written.

A full sync alternates between waiting for the provider's answer and writing the page it got; done one after the
other, only one of the two (the provider, or this process and the database) works at any moment. `read_ahead`
keeps one request in flight while the caller writes: at most one page is held beyond the one being written, and
nothing about checkpoints changes (a page is still saved, with the cursor after it, only once it was written).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from localshelf.services.lanes import single_error

T = TypeVar("T")


@dataclass(frozen=True)
class _Failed:
    error: Exception


class _Pages(Generic[T]):
    def __init__(self, received: ObjectReceiveStream[T | _Failed]) -> None:
        self._received = received

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        try:
            page = await self._received.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None
        if isinstance(page, _Failed):
            raise page.error  # the provider's own error, as if the caller had asked for the page itself
        return page


async def _pump(pages: AsyncIterable[T], send: ObjectSendStream[T | _Failed]) -> None:
    iterator = aiter(pages)
    async with send:
        try:
            async for page in iterator:
                await send.send(page)
        except Exception as exc:  # handed to the caller in order, after the pages before it
            await send.send(_Failed(exc))
        finally:
            # Stopped early (the caller left, or was cancelled): the listing's own cleanup runs now, e.g. its HTTP
            # response is closed, not whenever the garbage collector gets to the suspended generator.
            close = getattr(iterator, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()


@asynccontextmanager
async def read_ahead(pages: AsyncIterable[T]) -> AsyncIterator[AsyncIterator[T]]:
    """`async with read_ahead(reader.items(...)) as pages: async for page in pages: ...`: the same pages, in order,
    with the next one requested while the caller works on the current one. An error reading a page is raised where
    that page would have been. Leaving the block early stops the reading."""
    send, received = anyio.create_memory_object_stream[T | _Failed](max_buffer_size=0)
    with single_error():  # the task group wraps whatever the caller raised
        async with anyio.create_task_group() as group:
            group.start_soon(_pump, pages, send)
            try:
                async with received:
                    yield _Pages(received)
            finally:
                group.cancel_scope.cancel()
