"""Portland, Oregon metro geography for the demo stores.

Each `Locale` is a shopping area: a real ZIP code (its city, state, time zone and
centroid come from the offline `zipcodes` package), an optional anchor point where
the ZIP centroid sits somewhere a store would not (a park, an airport, a lake),
how far a store may be jittered from that point while plausibly staying on land
(small near the Willamette and Columbia rivers), and a few real streets of the area
with a plausible range of house numbers.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Any

import zipcodes

METRO_CENTER = (45.52, -122.68)
METRO_RADIUS_MILES = 35
# Degrees to kilometres around latitude 45.5; a constant (not cos()) keeps the
# arithmetic bit-identical on every platform.
KM_PER_DEGREE_LAT = 111.2
KM_PER_DEGREE_LON = 77.9


@dataclass(frozen=True, slots=True)
class Locale:
    key: str
    label: str  # shown in chain store names: "Alder Street Hardware – Sellwood"
    postal_code: str
    city: str | None  # None: the ZIP's USPS city; else one of its acceptable cities
    anchor: tuple[float, float] | None  # None: the ZIP centroid
    jitter_km: float
    streets: tuple[tuple[str, int, int], ...]  # (street, lowest, highest house number)


@dataclass(frozen=True, slots=True)
class PlacedAddress:
    address_line1: str
    address_line2: str | None
    city: str
    region: str
    postal_code: str
    latitude: float
    longitude: float
    timezone: str


# fmt: off
L = Locale
LOCALES: tuple[Locale, ...] = (
    # Portland, inner east side
    L("sellwood", "Sellwood", "97202", None, (45.4655, -122.6510), 0.4,
      (("SE 13th Ave", 7000, 8400), ("SE Tacoma St", 1000, 1800), ("SE Milwaukie Ave", 6200, 7000))),
    L("division", "Division-Clinton", "97202", None, (45.5048, -122.6270), 0.4,
      (("SE Division St", 2600, 3800), ("SE Clinton St", 2600, 3400))),
    L("woodstock", "Woodstock", "97206", None, (45.4790, -122.6150), 0.5,
      (("SE Woodstock Blvd", 4000, 5200), ("SE 52nd Ave", 5000, 6200))),
    L("foster-powell", "Foster-Powell", "97206", None, None, 0.8,
      (("SE Foster Rd", 5000, 7200), ("SE Powell Blvd", 5600, 7200), ("SE 72nd Ave", 4000, 5600))),
    L("hawthorne", "Hawthorne", "97214", None, (45.5120, -122.6260), 0.5,
      (("SE Hawthorne Blvd", 3000, 3900), ("SE Belmont St", 3000, 3700))),
    L("buckman", "Buckman", "97214", None, (45.5190, -122.6480), 0.4,
      (("SE Morrison St", 1400, 2400), ("SE 28th Ave", 100, 900), ("SE Stark St", 1800, 2800))),
    L("montavilla", "Montavilla", "97215", None, (45.5190, -122.5800), 0.5,
      (("SE Stark St", 7600, 8200), ("SE 80th Ave", 100, 900))),
    L("hazelwood", "Hazelwood", "97216", None, None, 0.8,
      (("SE Stark St", 10200, 11800), ("SE 122nd Ave", 100, 2000))),
    L("lents", "Lents", "97266", None, (45.4830, -122.5670), 0.7,
      (("SE Foster Rd", 8800, 10400), ("SE 92nd Ave", 4800, 6400))),
    L("powellhurst", "Powellhurst-Gilbert", "97236", None, None, 0.9,
      (("SE Powell Blvd", 13000, 16800), ("SE 136th Ave", 3000, 4400))),
    L("rockwood", "Rockwood", "97233", None, None, 0.9,
      (("SE Stark St", 17000, 18800), ("SE 181st Ave", 100, 1600))),
    L("wilkes", "Wilkes", "97230", None, None, 0.9,
      (("NE Glisan St", 16000, 18000), ("NE Halsey St", 16000, 18000))),
    L("gateway", "Gateway", "97220", None, (45.5315, -122.5590), 0.5,
      (("NE Halsey St", 9600, 10600), ("NE 102nd Ave", 100, 1600))),
    # Portland, inner north and northeast
    L("lloyd", "Lloyd District", "97232", None, (45.5305, -122.6540), 0.4,
      (("NE Multnomah St", 600, 1600), ("NE Broadway", 800, 1800), ("NE Weidler St", 900, 1700))),
    L("irvington", "Irvington", "97212", None, None, 0.8,
      (("NE Broadway", 1400, 2800), ("NE 15th Ave", 1800, 3200))),
    L("hollywood", "Hollywood", "97213", None, (45.5350, -122.6210), 0.4,
      (("NE Sandy Blvd", 4000, 4600), ("NE 42nd Ave", 1600, 2200), ("NE Broadway", 4000, 4400))),
    L("rose-city-park", "Rose City Park", "97213", None, None, 0.7,
      (("NE Sandy Blvd", 5400, 6400), ("NE 60th Ave", 1000, 2000))),
    L("alberta", "Alberta Arts", "97211", None, (45.5590, -122.6450), 0.5,
      (("NE Alberta St", 1200, 3200), ("NE Killingsworth St", 1200, 3200))),
    L("cully", "Cully", "97218", None, None, 0.8,
      (("NE Killingsworth St", 5000, 6800), ("NE Cully Blvd", 4000, 5600))),
    L("mississippi", "Mississippi", "97227", None, (45.5500, -122.6757), 0.3,
      (("N Mississippi Ave", 3600, 4000), ("N Williams Ave", 3600, 4000), ("N Fremont St", 500, 900))),
    L("kenton", "Kenton", "97217", None, (45.5830, -122.6860), 0.5,
      (("N Denver Ave", 8000, 8500), ("N Lombard St", 1800, 2400))),
    L("st-johns", "St. Johns", "97203", None, (45.5900, -122.7540), 0.5,
      (("N Lombard St", 8000, 8900), ("N Philadelphia Ave", 7000, 7500), ("N Ivanhoe St", 8000, 8900))),
    # Portland, west side
    L("downtown", "Downtown", "97204", None, (45.5190, -122.6790), 0.3,
      (("SW Morrison St", 600, 1000), ("SW Alder St", 500, 900), ("SW Broadway", 500, 1000))),
    L("goose-hollow", "Goose Hollow", "97205", None, (45.5195, -122.6920), 0.3,
      (("SW Jefferson St", 1600, 2100), ("SW 18th Ave", 600, 1400))),
    L("pearl", "Pearl District", "97209", None, (45.5290, -122.6820), 0.4,
      (("NW 11th Ave", 1000, 1400), ("NW Glisan St", 1000, 1400), ("NW Lovejoy St", 900, 1400))),
    L("northwest", "Northwest", "97210", None, (45.5300, -122.6985), 0.4,
      (("NW 23rd Ave", 300, 1100), ("NW 21st Ave", 300, 1200), ("NW Thurman St", 2100, 2600))),
    L("south-waterfront", "South Waterfront", "97239", None, (45.4985, -122.6735), 0.15,
      (("SW Moody Ave", 3300, 3800), ("SW Bond Ave", 3500, 4000))),
    L("hillsdale", "Hillsdale", "97239", None, (45.4785, -122.6970), 0.3,
      (("SW Capitol Hwy", 6200, 6500), ("SW Sunset Blvd", 6300, 6600))),
    L("multnomah-village", "Multnomah Village", "97219", None, (45.4670, -122.7130), 0.4,
      (("SW Capitol Hwy", 7600, 7900), ("SW 35th Ave", 7400, 7900))),
    L("raleigh-hills", "Raleigh Hills", "97225", None, (45.4870, -122.7560), 0.4,
      (("SW Beaverton Hillsdale Hwy", 7000, 8000), ("SW Scholls Ferry Rd", 4500, 5100))),
    L("bethany", "Bethany", "97229", None, (45.5580, -122.8350), 0.5,
      (("NW Bethany Blvd", 3000, 4500), ("NW West Union Rd", 15000, 16000))),
    # Clackamas County
    L("milwaukie", "Milwaukie", "97222", "Milwaukie", (45.4440, -122.6350), 0.3,
      (("SE Main St", 10400, 11000), ("SE Harrison St", 2000, 2500))),
    L("milwaukie-east", "Milwaukie East", "97222", "Milwaukie", None, 0.8,
      (("SE King Rd", 4000, 5800), ("SE Linwood Ave", 10000, 12000))),
    L("oak-grove", "Oak Grove", "97267", "Milwaukie", None, 0.8,
      (("SE Oatfield Rd", 13000, 15000), ("SE Oak Grove Blvd", 2000, 3200))),
    L("clackamas", "Clackamas", "97015", None, (45.4250, -122.5380), 0.6,
      (("SE Sunnyside Rd", 13000, 14500), ("SE 142nd Ave", 11000, 12800))),
    L("happy-valley", "Happy Valley", "97086", None, None, 0.8,
      (("SE King Rd", 12000, 14000), ("SE 152nd Ave", 9000, 11000))),
    L("lake-oswego", "Lake Oswego", "97034", None, (45.4215, -122.6715), 0.2,
      (("A Ave", 100, 600), ("State St", 300, 700), ("1st St", 300, 600))),
    L("lake-grove", "Lake Grove", "97035", None, (45.4045, -122.7290), 0.3,
      (("Boones Ferry Rd", 15800, 17000), ("Kruse Way", 4000, 5000))),
    L("gladstone", "Gladstone", "97027", None, None, 0.4,
      (("Portland Ave", 100, 900), ("Arlington St", 500, 900))),
    L("west-linn", "West Linn", "97068", None, None, 0.6,
      (("Salamo Rd", 1800, 3000), ("Willamette Falls Dr", 1600, 2600))),
    L("oregon-city", "Oregon City", "97045", None, (45.3330, -122.5920), 0.5,
      (("Molalla Ave", 1400, 2100), ("Beavercreek Rd", 1800, 2200))),
    L("wilsonville", "Wilsonville", "97070", None, (45.3045, -122.7700), 0.4,
      (("SW Wilsonville Rd", 8000, 9000), ("SW Town Center Loop W", 29000, 30000))),
    # East Multnomah County
    L("gresham", "Gresham", "97030", None, (45.4990, -122.4310), 0.5,
      (("W Powell Blvd", 100, 900), ("N Main Ave", 100, 500), ("NW Eastman Pkwy", 100, 1100))),
    L("north-gresham", "North Gresham", "97030", None, None, 0.8,
      (("NE Division St", 1000, 2400), ("NE Hogan Dr", 100, 1500))),
    L("southeast-gresham", "Southeast Gresham", "97080", None, None, 0.8,
      (("SE Hogan Rd", 1000, 2600), ("SE Powell Valley Rd", 1000, 3000))),
    L("troutdale", "Troutdale", "97060", None, (45.5270, -122.3930), 0.5,
      (("SW Cherry Park Rd", 600, 1600), ("SW 257th Ave", 400, 1800))),
    # Washington County
    L("beaverton", "Beaverton", "97005", None, (45.4870, -122.8030), 0.5,
      (("SW Canyon Rd", 12000, 12700), ("SW Broadway St", 12200, 12600), ("SW Farmington Rd", 12000, 13000))),
    L("cedar-hills", "Cedar Hills", "97005", None, (45.5050, -122.8080), 0.4,
      (("SW Cedar Hills Blvd", 2500, 3300), ("SW Walker Rd", 11000, 12000))),
    L("aloha", "Aloha", "97006", "Aloha", (45.4930, -122.8700), 0.6,
      (("SW Tualatin Valley Hwy", 17000, 19000), ("SW 185th Ave", 1000, 3000))),
    L("tanasbourne", "Tanasbourne", "97006", "Hillsboro", (45.5370, -122.8660), 0.4,
      (("NE Evergreen Pkwy", 2500, 3000), ("NE Cornell Rd", 2000, 2800))),
    L("murrayhill", "Murrayhill", "97007", None, (45.4470, -122.8410), 0.5,
      (("SW Murray Blvd", 14000, 15000), ("SW Teal Blvd", 11000, 12500))),
    L("south-beaverton", "South Beaverton", "97008", None, None, 0.7,
      (("SW Hall Blvd", 9000, 11000), ("SW Scholls Ferry Rd", 9000, 11000))),
    L("washington-square", "Washington Square", "97223", "Tigard", (45.4500, -122.7800), 0.5,
      (("SW Hall Blvd", 9500, 10500), ("SW Greenburg Rd", 9000, 10000))),
    L("tigard", "Tigard", "97223", "Tigard", (45.4305, -122.7720), 0.4,
      (("SW Main St", 12200, 12600), ("SW Pacific Hwy", 11000, 12500))),
    L("king-city", "King City", "97224", "Tigard", None, 0.6,
      (("SW Pacific Hwy", 15000, 17000), ("SW Durham Rd", 10000, 11500))),
    L("tualatin", "Tualatin", "97062", None, (45.3760, -122.7600), 0.3,
      (("SW Nyberg St", 7000, 8000), ("SW Boones Ferry Rd", 18000, 19500))),
    L("sherwood", "Sherwood", "97140", None, None, 0.8,
      (("SW Tualatin Sherwood Rd", 15000, 16500), ("SW Pacific Hwy", 20000, 21000))),
    L("hillsboro", "Hillsboro", "97123", None, (45.5225, -122.9890), 0.4,
      (("E Main St", 100, 400), ("SE Washington St", 100, 500), ("SE Baseline St", 200, 900))),
    L("south-hillsboro", "South Hillsboro", "97123", None, None, 1.0,
      (("SE Tualatin Valley Hwy", 2800, 4500), ("SE Cornelius Pass Rd", 2000, 4000))),
    L("orenco", "Orenco Station", "97124", None, (45.5330, -122.9050), 0.4,
      (("NE Orenco Station Pkwy", 1000, 1500), ("NE 61st Ave", 1000, 1400))),
    # Clark County, Washington
    L("uptown-village", "Uptown Village", "98660", None, (45.6380, -122.6720), 0.3,
      (("Main St", 1800, 2600), ("Broadway St", 1800, 2600))),
    L("downtown-vancouver", "Downtown Vancouver", "98660", None, (45.6285, -122.6730), 0.2,
      (("Main St", 700, 1100), ("Washington St", 700, 1100), ("W 8th St", 100, 700))),
    L("fourth-plain", "Fourth Plain", "98661", None, None, 0.7,
      (("E Fourth Plain Blvd", 4000, 6000), ("NE Andresen Rd", 2000, 3500))),
    L("orchards", "Orchards", "98662", None, (45.6670, -122.5600), 0.6,
      (("NE Fourth Plain Blvd", 11200, 13000), ("NE 117th Ave", 4000, 6000))),
    L("mill-plain", "Mill Plain", "98664", None, (45.6270, -122.5780), 0.5,
      (("SE Mill Plain Blvd", 10000, 11600), ("SE 104th Ave", 100, 1800))),
    L("hazel-dell", "Hazel Dell", "98665", None, None, 0.7,
      (("NE Highway 99", 7000, 9000), ("NE 78th St", 200, 1200))),
    L("cascade-park", "Cascade Park", "98683", None, (45.6150, -122.5080), 0.5,
      (("SE 164th Ave", 100, 1500), ("SE Mill Plain Blvd", 15000, 16800))),
    L("east-vancouver", "East Vancouver", "98684", None, None, 0.7,
      (("NE 164th Ave", 1000, 3000), ("NE 18th St", 15000, 17000))),
    L("salmon-creek", "Salmon Creek", "98686", None, None, 0.7,
      (("NE 134th St", 1000, 2500), ("NE 20th Ave", 12000, 14000))),
    L("felida", "Felida", "98685", None, None, 0.6,
      (("NW 119th St", 3000, 3800), ("NW Lakeshore Ave", 10000, 13000))),
    L("camas", "Camas", "98607", None, (45.5870, -122.4000), 0.3,
      (("NE 4th Ave", 200, 600), ("NE Birch St", 300, 600))),
)
# fmt: on
del L

LOCALES_BY_KEY: dict[str, Locale] = {locale.key: locale for locale in LOCALES}

_SUITES = ("Suite 100", "Suite 110", "Suite 120", "Suite 200", "Unit B", "Unit 3", "Suite A")


@functools.cache
def _zip_records() -> dict[str, dict[str, Any]]:
    """Every ZIP around Portland, from one query of the offline `zipcodes` table."""
    lat, lon = METRO_CENTER
    records = zipcodes.filter_by_coordinates(lat, lon, METRO_RADIUS_MILES)  # type: ignore[no-untyped-call]
    return {str(record["zip_code"]): record for record in records}


def zip_record(postal_code: str) -> dict[str, Any]:
    record = _zip_records().get(postal_code)
    if record is None:
        matches = zipcodes.matching(postal_code)  # type: ignore[no-untyped-call]
        if not matches:
            raise LookupError(f"ZIP {postal_code} is not in the zipcodes table")
        record = matches[0]
    return record


def locale_city(locale: Locale) -> str:
    record = zip_record(locale.postal_code)
    if locale.city is None:
        return str(record["city"])
    acceptable = [str(record["city"]), *(str(c) for c in record["acceptable_cities"])]
    if locale.city not in acceptable:
        raise ValueError(f"{locale.city} is not a USPS city of ZIP {locale.postal_code}")
    return locale.city


def locale_point(locale: Locale) -> tuple[float, float]:
    if locale.anchor is not None:
        return locale.anchor
    record = zip_record(locale.postal_code)
    return float(record["lat"]), float(record["long"])


def place(locale: Locale, rng: random.Random) -> PlacedAddress:
    """A street address and coordinates in `locale`, jittered by up to `jitter_km`."""
    record = zip_record(locale.postal_code)
    lat, lon = locale_point(locale)
    while True:  # uniform point in the unit disc, by rejection
        dx, dy = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
        if dx * dx + dy * dy <= 1.0:
            break
    latitude = round(lat + dy * locale.jitter_km / KM_PER_DEGREE_LAT, 6)
    longitude = round(lon + dx * locale.jitter_km / KM_PER_DEGREE_LON, 6)
    street, lowest, highest = rng.choice(locale.streets)
    number = rng.randint(lowest, highest)
    line2 = rng.choice(_SUITES) if rng.random() < 0.12 else None
    return PlacedAddress(
        address_line1=f"{number} {street}",
        address_line2=line2,
        city=locale_city(locale),
        region=str(record["state"]),
        postal_code=locale.postal_code,
        latitude=latitude,
        longitude=longitude,
        timezone=str(record["timezone"]),
    )
