"""CommitOrder and PageCheckpoints: units committed out of order never let a resumed job skip one that did not commit,
and progress and totals count only the committed prefix."""

from __future__ import annotations

from localshelf.services.lanes import CommitOrder, PageCheckpoints


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


def test_pages_committed_out_of_order_save_the_committed_prefix_with_its_totals() -> None:
    pages = PageCheckpoints({"phase": "items", "cursor": "c4", "page": 4}, {"items_seen": 500})
    first = pages.open({"phase": "items", "cursor": "c5"}, {"items_seen": 100})
    second = pages.open({"phase": "stock"}, {"items_seen": 40})
    assert (first, second) == (5, 6)  # numbered on from the checkpoint resumed from

    # the second page commits first: it may only save where the job resumed from, with those totals
    resumed = ({"phase": "items", "cursor": "c4", "page": 4}, {"items_seen": 500})
    assert pages.for_unit(second) == resumed
    assert pages.committed(second, saved=4) == []  # nothing newly covered: no progress to tell

    # the first then saves past both, and the totals after each page are told in order
    assert pages.for_unit(first) == ({"phase": "stock", "page": 6}, {"items_seen": 640})
    assert pages.committed(first, saved=6) == [{"items_seen": 600}, {"items_seen": 640}]
    assert pages.for_unit(pages.last) == ({"phase": "stock", "page": 6}, {"items_seen": 640})


def test_a_page_counts_only_what_it_adds_to_the_totals_it_starts_from() -> None:
    pages = PageCheckpoints({"phase": "stock"}, {"stock_levels_seen": 0})
    only = pages.open({"phase": "stock", "location": 1}, {"stock_levels_seen": 250})
    assert only == 0 and pages.for_unit(only) == (
        {"phase": "stock", "location": 1, "page": 0},
        {"stock_levels_seen": 250},
    )
    assert pages.committed(only, saved=0) == [{"stock_levels_seen": 250}]
