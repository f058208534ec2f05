"""The similarity score behind retailer-item suggestions."""

from __future__ import annotations

from localshelf.domain.matching import item_words, similarity


def test_the_same_words_in_another_order_and_case_score_1() -> None:
    assert similarity("dewalt 20v drill (cordless)", "DeWalt 20V Cordless Drill", "DeWalt") == 1.0


def test_the_brand_counts_even_when_the_product_name_omits_it() -> None:
    with_brand = similarity("makita drill", "18V Cordless Drill", "Makita")
    without = similarity("makita drill", "18V Cordless Drill", None)
    assert 0 < without < with_brand <= 1


def test_a_closer_product_scores_higher_and_an_unrelated_one_0() -> None:
    item = "canvas apron large"
    assert similarity(item, "Canvas Apron", None) > similarity(item, "Canvas Tote Bag", None) > 0
    assert similarity(item, "Garden Hose", "Gilmour") == 0.0
    assert similarity("", "Garden Hose", None) == 0.0


def test_lookup_words_skip_stop_words_single_letters_and_repeats() -> None:
    assert item_words("The Apron - L, apron for the shop") == ["apron"]
    assert item_words("x") == []
