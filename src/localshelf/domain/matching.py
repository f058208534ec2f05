"""How alike a retailer's item name and a global product are: the score behind matching suggestions.

Pure and backend-independent: the database only pre-selects candidates sharing a word with the item;
the order comes from here, so PostgreSQL and SQLite suggest the same products.
"""

from __future__ import annotations

from localshelf.domain.text import STOPWORDS, tokens, trigram_similarity

MAX_WORDS = 8
MIN_WORD_LENGTH = 2  # a size letter ("L") or a lone digit would pre-select half the catalogue
MIN_SCORE = 0.1
# Trigrams forgive spelling and word order; word coverage rewards a product naming every word of the item.
TRIGRAM_WEIGHT, COVERAGE_WEIGHT = 0.6, 0.4


def item_words(name: str) -> list[str]:
    """Distinct words of an item name worth looking products up by, in order."""
    distinct = dict.fromkeys(t for t in tokens(name) if len(t) >= MIN_WORD_LENGTH and t not in STOPWORDS)
    return list(distinct)[:MAX_WORDS]


def similarity(item_name: str, product_name: str, brand: str | None) -> float:
    """0..1: how well a product (name and brand) matches an item name, rounded to 3 decimals."""
    item = tokens(item_name)
    product = tokens(product_name) + (tokens(brand) if brand else [])
    if not item or not product:
        return 0.0
    trigram = trigram_similarity(" ".join(item), " ".join(product))
    coverage = len(set(item) & set(product)) / len(set(item))
    return round(TRIGRAM_WEIGHT * trigram + COVERAGE_WEIGHT * coverage, 3)
