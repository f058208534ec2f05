"""Search text normalisation shared by both database backends.

PostgreSQL and SQLite must return identical search results, so neither database
tokenises anything: every string is turned into tokens here, in Python, and the
databases only compare the tokens they are given.

Pipeline (the same for indexed text and for queries):

1. `normalize_text`: Unicode NFKD, drop combining marks (so "é" matches "e"),
   casefold ("ß" -> "ss"), then every run of characters outside [a-z0-9]
   becomes one space. Scripts with no ASCII decomposition (Cyrillic, CJK, ...)
   therefore vanish entirely; the catalogue is English-first.
2. split on spaces.
3. `stem` each token: light English plural folding (rules on `stem`).

`search_document` stores the tokens as " tok1 tok2 " (one space at each end), so
a whole-token match is a plain substring test for " tok " on either backend.

`trigrams` / `trigram_similarity` reproduce pg_trgm's `similarity()` so the
SQLite backend can rank "did you mean" suggestions exactly as PostgreSQL does.
"""

from __future__ import annotations

import re
import unicodedata

from localshelf.domain.errors import ErrorCode, InvalidInput

MAX_QUERY_TERMS = 8
# Words of a shopper's sentence that name no product ("where can I buy batteries near me").
# Stemmed forms, as `tokens` produces them.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "any",
        "anyone",
        "are",
        "buy",
        "can",
        "closest",
        "do",
        "doe",
        "find",
        "for",
        "from",
        "get",
        "have",
        "i",
        "in",
        "is",
        "me",
        "my",
        "near",
        "nearby",
        "nearest",
        "need",
        "of",
        "on",
        "open",
        "or",
        "please",
        "sell",
        "selling",
        "shop",
        "some",
        "the",
        "to",
        "today",
        "want",
        "where",
        "who",
        "with",
        "you",
    ]
)

_PREVIEW_LIMIT = 40
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_ES_AFTER = ("sses", "xes", "zzes", "ches", "shes")
_KEEP_TRAILING_S = ("ss", "us", "is")


def preview(value: str, limit: int = _PREVIEW_LIMIT) -> str:
    """repr() of `value` cut to `limit` characters, for quoting user input in error messages."""
    if len(value) > limit:
        return repr(value[:limit] + "…")
    return repr(value)


def normalize_text(value: str) -> str:
    if value.isascii():  # NFKD leaves ASCII as it is and it has no combining marks: skip the per-character pass
        unmarked = value
    else:
        decomposed = unicodedata.normalize("NFKD", value)
        unmarked = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", unmarked.casefold()).strip()


def stem(token: str) -> str:
    """Fold an English plural to its singular, crudely but identically everywhere.

    Rules, first match wins (lengths are of the whole token):

    - digits only: unchanged ("2024").
    - ends in "ies" and longer than 4: "ies" -> "y" ("batteries" -> "battery").
    - ends in "es" after ss, x, zz, ch or sh and longer than 4: drop "es"
      ("boxes" -> "box", "glasses" -> "glass", "brushes" -> "brush", "matches" -> "match").
    - ends in "s" but not "ss", "us" or "is", and longer than 3: drop "s"
      ("drills" -> "drill", "pies" -> "pie"; "glass", "cactus", "axis" and "gas" stay).

    Other -es plurals only lose the "s" ("cases" -> "case", "sizes" -> "size").
    Known blind spots, accepted for a rule set this small: "caches" -> "cach"
    while "cache" stays, and "lens" -> "len" while "lenses" -> "lense".
    """
    if _DIGITS.fullmatch(token):
        return token
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith(_ES_AFTER):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith(_KEEP_TRAILING_S):
        return token[:-1]
    return token


def tokens(value: str) -> list[str]:
    return [stem(token) for token in normalize_text(value).split()]


def search_document(*fields: str | None) -> str:
    """All tokens of the given fields as " tok1 tok2 ... " (" " when there are none)."""
    found = [token for field in fields if field for token in tokens(field)]
    if not found:
        return " "
    return f" {' '.join(found)} "


def query_terms(query: str) -> list[str]:
    """Distinct tokens of a search query, in order, without stop words, at most MAX_QUERY_TERMS.

    A query made only of stop words keeps them (someone may really look for "The The").
    """
    distinct = list(dict.fromkeys(tokens(query)))
    terms = ([t for t in distinct if t not in STOPWORDS] or distinct)[:MAX_QUERY_TERMS]
    if not terms:
        raise InvalidInput(
            f"Search query {preview(query)} has no letters or digits to search for.",
            ErrorCode.EMPTY_QUERY,
        )
    return terms


def trigrams(word: str) -> set[str]:
    """pg_trgm trigrams of a lower-case alphanumeric word: 3-grams of "  " + word + " ".

    Space-separated words are handled as pg_trgm does (union of each word's
    trigrams); the empty string has none.
    """
    found: set[str] = set()
    for part in word.split():
        padded = f"  {part} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm `similarity(a, b)`: shared trigrams / all distinct trigrams, 0.0 if none.

    PostgreSQL returns this as `real` (float4); this returns the exact ratio as a
    Python float, so compare the two with a tolerance of about 1e-7.
    """
    left, right = trigrams(a), trigrams(b)
    union = left | right
    if not union:
        return 0.0
    return len(left & right) / len(union)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), for typo correction."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]
