import pytest

from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.text import (
    MAX_QUERY_TERMS,
    normalize_text,
    preview,
    query_terms,
    search_document,
    stem,
    tokens,
    trigram_similarity,
    trigrams,
)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Crème Brûlée", "creme brulee"),
        ("DeWalt 20V-MAX!", "dewalt 20v max"),
        ("Straße", "strasse"),
        ("ＡＢＣ　１２３", "abc 123"),
        ("ﬁlter", "filter"),
        ("Ø-ring, ½ inch", "ring 1 2 inch"),
        ("  tabs\tand\nnewlines  ", "tabs and newlines"),
        ("İstanbul", "istanbul"),
        ("---", ""),
        ("", ""),
        ("Кофе 咖啡 coffee", "coffee"),
    ],
)
def test_normalize_text_folds_accents_case_and_punctuation(raw: str, normalized: str) -> None:
    assert normalize_text(raw) == normalized


@pytest.mark.parametrize(
    ("token", "stemmed"),
    [
        ("batteries", "battery"),
        ("berries", "berry"),
        ("pies", "pie"),
        ("ties", "tie"),
        ("boxes", "box"),
        ("glasses", "glass"),
        ("buzzes", "buzz"),
        ("benches", "bench"),
        ("brushes", "brush"),
        ("axes", "axe"),
        ("drills", "drill"),
        ("bits", "bit"),
        ("cups", "cup"),
        ("glass", "glass"),
        ("cactus", "cactus"),
        ("axis", "axis"),
        ("gas", "gas"),
        ("bus", "bus"),
        ("its", "its"),
        ("drill", "drill"),
        ("2024", "2024"),
        ("100s", "100"),
        ("", ""),
    ],
)
def test_stem_folds_english_plurals(token: str, stemmed: str) -> None:
    assert stem(token) == stemmed


@pytest.mark.parametrize(
    ("singular", "plural"),
    [
        ("battery", "batteries"),
        ("box", "boxes"),
        ("drill", "drills"),
        ("brush", "brushes"),
        ("glass", "glasses"),
    ],
)
def test_singular_and_plural_share_a_stem(singular: str, plural: str) -> None:
    assert stem(singular) == stem(plural)


def test_stem_is_stable_for_digits_only_tokens_even_if_long() -> None:
    assert stem("0123456789") == "0123456789"


def test_tokens_normalize_split_and_stem() -> None:
    assert tokens("Cordless Drills — DeWALT 20V, 2 Batteries") == [
        "cordless",
        "drill",
        "dewalt",
        "20v",
        "2",
        "battery",
    ]


def test_search_document_joins_fields_with_one_space_at_each_end() -> None:
    assert search_document("Cordless Drill", None, "", "DeWalt") == " cordless drill dewalt "


@pytest.mark.parametrize("fields", [(), (None,), ("",), ("  ", "!!!", None)])
def test_search_document_without_tokens_is_a_single_space(fields: tuple[str | None, ...]) -> None:
    assert search_document(*fields) == " "


def test_query_token_matches_document_as_a_spaced_substring() -> None:
    document = search_document("AA Batteries (4-pack)")
    assert all(f" {term} " in document for term in query_terms("battery pack"))


def test_query_terms_drop_duplicates_keeping_first_order() -> None:
    assert query_terms("Drills drill DRILL bits") == ["drill", "bit"]


def test_query_terms_keep_at_most_the_maximum() -> None:
    words = [f"w{i}" for i in range(MAX_QUERY_TERMS + 5)]
    assert MAX_QUERY_TERMS == 8
    assert query_terms(" ".join(words)) == words[:MAX_QUERY_TERMS]


@pytest.mark.parametrize("query", ["", "   ", "!?", "— …", "咖啡"])
def test_query_without_letters_or_digits_is_rejected(query: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        query_terms(query)
    assert caught.value.code is ErrorCode.EMPTY_QUERY


def test_trigrams_pad_with_two_leading_spaces_and_one_trailing() -> None:
    assert trigrams("cat") == {"  c", " ca", "cat", "at "}
    assert trigrams("a") == {"  a", " a "}
    assert trigrams("") == set()


def test_trigrams_are_a_set_without_repeats() -> None:
    assert trigrams("aaaa") == {"  a", " aa", "aaa", "aa "}


@pytest.mark.parametrize(
    ("a", "b", "similarity"),
    [
        ("word", "word", 1.0),
        ("word", "words", 4 / 7),
        ("word", "two words", 4 / 11),
        ("drill", "dril", 4 / 7),
        ("cat", "dog", 0.0),
        ("", "", 0.0),
        ("", "cat", 0.0),
    ],
)
def test_trigram_similarity_matches_pg_trgm(a: str, b: str, similarity: float) -> None:
    assert trigram_similarity(a, b) == pytest.approx(similarity)


def test_trigram_similarity_is_symmetric() -> None:
    assert trigram_similarity("hammer", "hamer") == trigram_similarity("hamer", "hammer")


def test_preview_quotes_and_truncates_long_values() -> None:
    assert preview("abc") == "'abc'"
    assert preview("x" * 100) == repr("x" * 40 + "…")
