"""CommitOrder: batches committed out of order never let a resumed job skip one that did not commit."""

from __future__ import annotations

from localshelf.services.lanes import CommitOrder


def test_a_batch_saves_its_own_end_only_when_every_batch_before_it_committed() -> None:
    order = CommitOrder(after=100)
    for last in (300, 500, 700):
        order.open(last)
    assert order.resumable_after(300) == 300  # the first batch: nothing before it is missing
    assert order.resumable_after(500) == 100  # batch 300 not committed yet: resume from before it
    order.committed(500)
    assert order.resumable_after(700) == 100  # still waiting for batch 300
    assert order.resumable_after(300) == 500  # committing 300 now makes 500, already committed, safe too
    order.committed(300)
    assert order.resumable_after(700) == 700


def test_the_committed_prefix_moves_the_base_and_later_batches_start_from_it() -> None:
    order = CommitOrder(after=0)
    order.open(10)
    order.committed(10)
    order.open(20)
    order.open(30)
    assert order.resumable_after(30) == 10
    order.committed(20)
    assert order.resumable_after(30) == 30
