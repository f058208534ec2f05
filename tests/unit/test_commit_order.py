"""CommitOrder: batches committed out of order never let a resumed job skip one that did not commit, and progress
counts only the committed prefix."""

from __future__ import annotations

from localshelf.services.lanes import CommitOrder


def test_a_batch_saves_its_own_end_only_when_every_batch_before_it_committed() -> None:
    order = CommitOrder(after=100)
    for last in (300, 500, 700):
        order.open(last, items=200)
    assert order.resumable_after(300) == 300  # the first batch: nothing before it is missing
    assert order.resumable_after(500) == 100  # batch 300 not committed yet: resume from before it
    assert order.committed(500) == 0  # nothing joins the prefix while batch 300 is missing
    assert order.resumable_after(700) == 100  # still waiting for batch 300
    assert order.resumable_after(300) == 500  # committing 300 now makes 500, already committed, safe too
    assert order.committed(300) == 400  # both batches join the prefix
    assert order.resumable_after(700) == 700
    assert order.committed(700) == 200


def test_the_committed_prefix_moves_the_base_and_later_batches_start_from_it() -> None:
    order = CommitOrder(after=0)
    order.open(10, items=10)
    assert order.committed(10) == 10
    order.open(20, items=10)
    order.open(30, items=7)
    assert order.resumable_after(30) == 10
    assert order.committed(20) == 10
    assert order.resumable_after(30) == 30
