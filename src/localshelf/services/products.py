"""The global product catalogue, keyed by GTIN-14."""

from __future__ import annotations

from collections.abc import Iterable

from localshelf.domain.errors import InvalidInput, NotFound
from localshelf.domain.gtin import normalize_gtin
from localshelf.domain.ids import new_public_id
from localshelf.domain.text import search_document
from localshelf.services.access import require_writer_somewhere
from localshelf.services.lookup import by_public_id, product_by_gtin
from localshelf.services.present import product_view
from localshelf.services.views import ProductView
from localshelf.store import pos_staging as staging
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Product

MAX_TERM_LENGTH = 64


def search_fields(name: str, brand: str | None, category: str | None) -> dict[str, str]:
    """The tokenised documents both backends search (see `localshelf.domain.text`)."""
    docs = {
        "name_doc": search_document(name),
        "brand_doc": search_document(brand),
        "category_doc": search_document(category),
    }
    # = search_document(name, brand, category), without tokenising every field a second time
    words = " ".join(doc.strip() for doc in docs.values() if doc.strip())
    return {**docs, "search_doc": f" {words} " if words else " "}


def add_search_terms(uow: UnitOfWork, documents: Iterable[str]) -> None:
    terms = sorted({term for doc in documents for term in doc.split() if len(term) <= MAX_TERM_LENGTH})
    staging.insert_search_terms(uow, terms)


def register_product(
    uow: UnitOfWork,
    gtin: str,
    name: str,
    brand: str | None,
    description: str | None,
    category: str | None,
    image_urls: list[str],
) -> ProductView:
    """Create the global record for a GTIN, or return the existing one unchanged."""
    require_writer_somewhere(uow)
    gtin14 = normalize_gtin(gtin)
    existing = product_by_gtin(uow.session, gtin14)
    if existing is not None:
        return product_view(existing, created=False)
    docs = search_fields(name, brand, category)
    values = {
        "public_id": new_public_id("product"),
        "gtin": gtin14,
        "name": name,
        "brand": brand,
        "description": description,
        "category": category,
        "image_urls": image_urls,
        **docs,
    }
    # A concurrent registration of the same GTIN may win between the lookup and here:
    # then nothing is inserted and the winner's record is returned, as for any existing GTIN.
    inserted = uow.session.scalar(
        uow.dialect.insert_ignoring_duplicates(Product).values(**values).returning(Product.id)
    )
    product = product_by_gtin(uow.session, gtin14)
    assert product is not None
    if inserted is None:
        return product_view(product, created=False)
    add_search_terms(uow, [docs["search_doc"]])
    return product_view(product, created=True)


def get_product(uow: UnitOfWork, product_id: str | None, gtin: str | None) -> ProductView:
    if (product_id is None) == (gtin is None):
        raise InvalidInput("Give exactly one of product_id or gtin.")
    if product_id is not None:
        return product_view(by_public_id(uow.session, Product, product_id))
    assert gtin is not None
    gtin14 = normalize_gtin(gtin)
    product = product_by_gtin(uow.session, gtin14)
    if product is None:
        raise NotFound(f"No product with GTIN {gtin14} is registered.")
    return product_view(product)
