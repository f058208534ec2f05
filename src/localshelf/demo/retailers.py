"""The demo's organizations: fictional Portland-area retailers and brand owners.

Retailers are chains (a store per listed locale, named "Chain – Locale") and
independents (one store, named like the business). What each sells is an
assortment: (selector, share) pairs where a selector is a department
("hardware"), a category ("Grocery > Snacks") or a category prefix
("Personal Care"); the first matching selector gives the share of those products
the retailer stocks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from localshelf.demo.geography import LOCALES_BY_KEY, place
from localshelf.demo.models import DemoLocation, DemoOrganization

Week = tuple[tuple[tuple[str, str], ...], ...]  # mon..sun, each a tuple of (open, close)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class RetailerSpec:
    key: str
    name: str
    kind: str  # picks the barcode-less local items (see offers.LOCAL_ITEMS)
    hours: str  # key of HOURS
    source: Literal["pos", "manual"]
    code: str  # short code for SKUs of barcode-less items
    sku_prefix: str  # product SKU = prefix + a random number of sku_digits; "" and 0 digits: the GTIN-13
    sku_digits: int
    price_factor: float  # relative to list price
    assortment: tuple[tuple[str, float], ...]
    locales: tuple[str, ...]

    @property
    def is_chain(self) -> bool:
        return len(self.locales) > 1


@dataclass(frozen=True, slots=True)
class BrandOwnerSpec:
    key: str
    name: str
    brands: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Store:
    location: DemoLocation
    retailer: RetailerSpec


def _w(default: str, **days: str) -> Week:
    """A week from "HH:MM-HH:MM" intervals (space-separated; "" = closed), per-day overrides."""
    week = []
    for day in WEEKDAYS:
        spec = days.get(day, default)
        week.append(tuple((part[:5], part[6:]) for part in spec.split()))
    return tuple(week)


HOURS: dict[str, tuple[Week, ...]] = {
    "hardware": (
        _w("07:00-20:00", sat="08:00-20:00", sun="09:00-18:00"),
        _w("07:00-21:00", sun="08:00-19:00"),
        _w("07:30-19:00", sat="08:00-18:00", sun="09:00-17:00"),
    ),
    "big-box": (_w("06:00-22:00", sun="08:00-20:00"), _w("06:00-21:00", sun="07:00-20:00")),
    "hardware-indie": (_w("08:00-18:00", sat="09:00-17:00", sun=""),),
    "grocery": (_w("07:00-22:00"), _w("06:00-23:00"), _w("07:00-23:00")),
    "coop": (_w("08:00-21:00"), _w("08:00-22:00")),
    "pharmacy": (
        _w("08:00-21:00", sat="09:00-18:00", sun="10:00-17:00"),
        _w("07:00-22:00", sat="08:00-22:00", sun="09:00-20:00"),
        _w("08:00-20:00", sat="09:00-17:00", sun=""),
    ),
    "apothecary": (_w("09:00-13:00 14:00-18:30", sat="10:00-14:00", sun=""),),
    "outdoor": (_w("10:00-20:00", sun="10:00-18:00"), _w("10:00-21:00", sun="11:00-18:00")),
    "outdoor-indie": (_w("10:00-19:00", mon="", sun="11:00-17:00"),),
    "electronics": (_w("10:00-21:00", sun="11:00-19:00"), _w("10:00-20:00", sun="11:00-18:00")),
    "record-shop": (_w("11:00-20:00", mon="", fri="11:00-01:00", sat="11:00-01:00"),),
    "books": (_w("09:00-22:00"), _w("10:00-21:00")),
    "books-indie": (_w("11:00-19:00", mon="", sun="12:00-17:00"),),
    "pets": (_w("09:00-20:00", sun="10:00-18:00"), _w("09:00-21:00", sat="09:00-20:00", sun="10:00-19:00")),
    "pets-indie": (_w("10:00-18:00", sun="11:00-16:00"),),
    "toys": (_w("10:00-19:00", sun="11:00-17:00"), _w("10:00-20:00", sun="11:00-18:00")),
    "toys-indie": (_w("10:00-18:00", mon="", sun="11:00-16:00"),),
    "home": (_w("10:00-19:00", sun="11:00-18:00"), _w("10:00-20:00", sun="11:00-18:00")),
    "variety": (_w("06:00-24:00"),),
}

R = RetailerSpec
# fmt: off
RETAILERS: tuple[RetailerSpec, ...] = (
    R("alder-street-hardware", "Alder Street Hardware", "hardware", "hardware", "pos", "AH", "AH-", 6, 1.0,
      (("Home > Cookware", 0.1), ("Home > Cleaning", 0.5), ("hardware", 0.85), ("home", 0.3),
       ("Electronics > Batteries", 0.7), ("Outdoor > Lighting", 0.4)),
      ("sellwood", "hollywood", "multnomah-village", "st-johns", "beaverton", "milwaukie", "tigard", "oak-grove")),
    R("cascade-home-hardware", "Cascade Home & Hardware", "hardware", "big-box", "pos", "CHH", "", 9, 0.95,
      (("hardware", 0.95), ("home", 0.5), ("Electronics > Batteries", 0.9), ("Outdoor > Lighting", 0.6),
       ("Outdoor > Camping", 0.25)),
      ("gateway", "tanasbourne", "clackamas", "orchards", "south-hillsboro")),
    R("bridgetown-market", "Bridgetown Market", "grocery", "grocery", "pos", "BM", "BM", 7, 1.0,
      (("grocery", 0.95), ("health", 0.6), ("pets", 0.5), ("Home > Cleaning", 0.7),
       ("Home > Paper & Household", 0.9), ("Home > Food Storage", 0.7), ("Home > Kitchen Tools", 0.3),
       ("Electronics > Batteries", 0.5), ("Books > Cookbooks", 0.3), ("Toys > Arts & Crafts", 0.2)),
      ("division", "irvington", "northwest", "hillsdale", "lake-oswego", "cedar-hills", "wilsonville",
       "uptown-village", "happy-valley", "troutdale", "oregon-city", "foster-powell")),
    R("rose-city-grocers", "Rose City Grocers Co-op", "grocery", "coop", "pos", "RCG", "RCG-", 5, 1.06,
      (("grocery", 0.75), ("Personal Care", 0.35), ("health", 0.2), ("Home > Cleaning", 0.5)),
      ("alberta", "montavilla", "south-waterfront")),
    R("willamette-pharmacy", "Willamette Pharmacy", "health", "pharmacy", "pos", "WP", "WP-", 6, 1.05,
      (("health", 0.95), ("Grocery > Snacks", 0.5), ("Grocery > Beverages", 0.5), ("grocery", 0.12),
       ("Home > Paper & Household", 0.6), ("Home > Cleaning", 0.3), ("Electronics > Batteries", 0.8),
       ("Electronics > Cables", 0.5), ("Electronics > Chargers & Power", 0.3), ("Pets > Treats", 0.3),
       ("Home > Food Storage", 0.3), ("toys", 0.15), ("pets", 0.1)),
      ("buckman", "lloyd", "rose-city-park", "lents", "gresham", "raleigh-hills", "aloha", "mill-plain",
       "kenton", "tualatin", "camas", "wilkes")),
    R("hawthorne-apothecary", "Hawthorne Apothecary", "health", "apothecary", "manual", "HA", "HA", 4, 1.12,
      (("health", 0.55), ("Grocery > Coffee & Tea", 0.3)),
      ("hawthorne",)),
    R("trailhead-outfitters", "Trailhead Outfitters", "outdoor", "outdoor", "pos", "TO", "TO-", 6, 1.0,
      (("outdoor", 0.92), ("Books > Travel & Outdoors", 0.7), ("Personal Care > Sun Care", 0.6),
       ("Health > First Aid", 0.3), ("Electronics > Batteries", 0.4), ("Grocery > Snacks", 0.2),
       ("Pets > Toys & Accessories", 0.25)),
      ("pearl", "bethany", "clackamas", "cascade-park", "sherwood")),
    R("forest-park-mountain-supply", "Forest Park Mountain Supply", "outdoor", "outdoor-indie", "manual", "FPMS",
      "FPMS-", 4, 1.05,
      (("outdoor", 0.6), ("Books > Travel & Outdoors", 0.5), ("Personal Care > Sun Care", 0.3)),
      ("goose-hollow",)),
    R("circuit-stop", "Circuit Stop Electronics", "electronics", "electronics", "pos", "CS", "CS", 8, 0.98,
      (("electronics", 0.95), ("Toys > Games & Puzzles", 0.2), ("Outdoor > Lighting", 0.2)),
      ("downtown", "washington-square", "north-gresham", "east-vancouver", "orenco", "hazelwood")),
    R("volt-and-vinyl", "Volt & Vinyl", "records", "record-shop", "manual", "VV", "VV-", 4, 1.05,
      (("Electronics > Audio", 0.9), ("Electronics > Cables", 0.5), ("electronics", 0.15)),
      ("mississippi",)),
    R("lamplight-books", "Lamplight Books", "books", "books", "pos", "LB", "", 0, 1.0,
      (("books", 0.95), ("Toys > Games & Puzzles", 0.35), ("Toys > Arts & Crafts", 0.2),
       ("Home > Decor & Bedding", 0.1)),
      ("hawthorne", "lake-grove", "downtown-vancouver")),
    R("tabor-hill-books", "Tabor Hill Books", "books", "books-indie", "manual", "THB", "", 0, 1.0,
      (("books", 0.65),),
      ("montavilla",)),
    R("good-dog-pet-supply", "Good Dog Pet Supply", "pets", "pets", "pos", "GD", "GD-", 5, 1.0,
      (("pets", 0.95),),
      ("woodstock", "cully", "beaverton", "hazel-dell", "north-gresham", "king-city", "powellhurst", "felida")),
    R("sellwood-pet-pantry", "Sellwood Pet Pantry", "pets", "pets-indie", "manual", "SPP", "SPP-", 4, 1.08,
      (("pets", 0.65),),
      ("sellwood",)),
    R("tinker-and-toad", "Tinker & Toad Toys", "toys", "toys", "pos", "TT", "TT-", 5, 1.0,
      (("toys", 0.92), ("Books > Children's", 0.6), ("Electronics > Batteries", 0.3)),
      ("division", "murrayhill", "salmon-creek")),
    R("mississippi-toy-co", "Mississippi Toy Co.", "toys", "toys-indie", "manual", "MTC", "MTC-", 4, 1.05,
      (("toys", 0.6), ("Books > Children's", 0.4)),
      ("mississippi",)),
    R("nest-and-timber", "Nest & Timber Home", "home", "home", "pos", "NT", "NT-", 6, 1.0,
      (("home", 0.92), ("Grocery > Coffee & Tea", 0.3), ("Books > Cookbooks", 0.5)),
      ("west-linn", "hillsboro", "fourth-plain", "southeast-gresham")),
    R("rockwood-variety", "Rockwood Variety", "variety", "variety", "manual", "RV", "RV", 5, 1.15,
      (("Grocery > Snacks", 0.6), ("Grocery > Beverages", 0.6), ("grocery", 0.2), ("health", 0.25),
       ("Home > Paper & Household", 0.6), ("home", 0.05), ("Electronics > Batteries", 0.6),
       ("Electronics > Cables", 0.3), ("pets", 0.12)),
      ("rockwood",)),
    R("uptown-village-hardware", "Uptown Village Hardware", "hardware", "hardware-indie", "pos", "UVH", "UVH-", 5,
      1.04,
      (("hardware", 0.6), ("Home > Cleaning", 0.3), ("Electronics > Batteries", 0.5)),
      ("uptown-village",)),
)
# fmt: on
del R

BRAND_OWNERS: tuple[BrandOwnerSpec, ...] = (
    BrandOwnerSpec("rose-city-provisions", "Rose City Provisions Co.", ("Rose City Provisions", "Burnside Bakehouse")),
    BrandOwnerSpec("timberline-trail-gear", "Timberline Trail Gear Inc.", ("Timberline Trail",)),
    BrandOwnerSpec("ridgeline-tool-works", "Ridgeline Tool Works", ("Ridgeline",)),
    BrandOwnerSpec("willamette-valley-pet", "Willamette Valley Pet Co.", ("Valley Harvest", "Happy Trails")),
    BrandOwnerSpec("fernhill-labs", "Fernhill Labs", ("Fernhill",)),
)

UNPUBLISHED_STORES = 3


def website(key: str) -> str:
    return f"https://{key}.example"


def build_brand_owners(brand_prefixes: dict[str, str]) -> tuple[DemoOrganization, ...]:
    return tuple(
        DemoOrganization(
            key=owner.key,
            name=owner.name,
            kind="brand",
            website=website(owner.key),
            gtin_company_prefixes=tuple(brand_prefixes[brand] for brand in owner.brands),
        )
        for owner in BRAND_OWNERS
    )


def build_retailers(rng: random.Random) -> tuple[tuple[DemoOrganization, ...], tuple[Store, ...]]:
    organizations = tuple(
        DemoOrganization(key=r.key, name=r.name, kind="retailer", website=website(r.key), gtin_company_prefixes=())
        for r in RETAILERS
    )
    phones = _PhoneBook(rng)
    planned = [(retailer, locale_key) for retailer in RETAILERS for locale_key in retailer.locales]
    chain_indexes = [i for i, (retailer, _) in enumerate(planned) if retailer.is_chain]
    unpublished = set(rng.sample(chain_indexes, UNPUBLISHED_STORES))
    stores = []
    for index, (retailer, locale_key) in enumerate(planned):
        locale = LOCALES_BY_KEY[locale_key]
        address = place(locale, rng)
        week = rng.choice(HOURS[retailer.hours])
        location = DemoLocation(
            key=f"{retailer.key}-{locale.key}",
            organization_key=retailer.key,
            name=f"{retailer.name} – {locale.label}" if retailer.is_chain else retailer.name,
            address_line1=address.address_line1,
            address_line2=address.address_line2,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country="US",
            latitude=address.latitude,
            longitude=address.longitude,
            timezone=address.timezone,
            opening_hours={day: [list(pair) for pair in week[i]] for i, day in enumerate(WEEKDAYS)},
            phone=phones.number(address.region),
            website=f"{website(retailer.key)}/stores/{locale.key}" if retailer.is_chain else website(retailer.key),
            published=index not in unpublished,
        )
        stores.append(Store(location, retailer))
    return organizations, tuple(stores)


class _PhoneBook:
    """Fictional numbers: 555-0100..555-0199 are reserved for fiction in every area code."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._free: dict[str, list[int]] = {}

    def number(self, region: str) -> str:
        area = "360" if region == "WA" else self._rng.choice(("503", "503", "971"))
        free = self._free.get(area)
        if free is None:
            free = self._free[area] = self._rng.sample(range(100, 200), 100)
        return f"+1{area}5550{free.pop()}"
