import math
import random

import pytest
from geographiclib.geodesic import Geodesic

from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.geo import (
    MAX_RADIUS_KM,
    WGS84_A_KM,
    WGS84_F,
    BoundingBox,
    bounding_box,
    distance_km,
    distances_from,
    validate_coordinates,
    validate_radius,
)

# (name, lat1, lon1, lat2, lon2)
CITY_PAIRS = [
    ("new york - los angeles", 40.7128, -74.0060, 34.0522, -118.2437),
    ("london - paris", 51.5074, -0.1278, 48.8566, 2.3522),
    ("sydney - melbourne", -33.8688, 151.2093, -37.8136, 144.9631),
    ("tokyo - osaka", 35.6762, 139.6503, 34.6937, 135.5023),
    ("times square - empire state building", 40.7580, -73.9855, 40.7484, -73.9857),
    ("suva - apia, across the antimeridian", -18.1416, 178.4419, -13.8333, -171.7667),
    ("longyearbyen - tromso", 78.2232, 15.6267, 69.6492, 18.9553),
    ("longyearbyen - alert, over the pole", 78.2232, 15.6267, 82.5018, -62.3481),
    ("quito - nairobi, along the equator", -0.1807, -78.4678, -1.2921, 36.8219),
    ("london - johannesburg", 51.5074, -0.1278, -26.2041, 28.0473),
    ("cape town - buenos aires", -33.9249, 18.4241, -34.6037, -58.3816),
]


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"]) / 1000


def destination(lat: float, lon: float, azimuth: float, km: float) -> tuple[float, float]:
    result = Geodesic.WGS84.Direct(lat, lon, azimuth, km * 1000)
    return float(result["lat2"]), float(result["lon2"])


def random_point(rng: random.Random) -> tuple[float, float]:
    # Uniform over the sphere's area, not over latitude.
    return math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180)


def test_ellipsoid_constants_are_wgs84() -> None:
    assert WGS84_A_KM == 6378.137
    assert WGS84_F == 1 / 298.257223563
    assert MAX_RADIUS_KM == 100.0


@pytest.mark.parametrize(("name", "lat1", "lon1", "lat2", "lon2"), CITY_PAIRS, ids=[p[0] for p in CITY_PAIRS])
def test_distance_between_cities_is_within_0_05_percent_of_the_geodesic(
    name: str, lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    truth = geodesic_km(lat1, lon1, lat2, lon2)
    assert truth > 1.0
    assert distance_km(lat1, lon1, lat2, lon2) == pytest.approx(truth, rel=5e-4)


def test_city_pairs_cover_short_and_long_lines() -> None:
    lengths = [geodesic_km(*pair[1:]) for pair in CITY_PAIRS]
    assert min(lengths) < 1.5
    assert max(lengths) > 8000


def test_distance_on_random_pairs_is_within_0_05_percent_of_the_geodesic() -> None:
    rng = random.Random(20250601)
    checked = 0
    while checked < 2000:
        lat1, lon1 = random_point(rng)
        lat2, lon2 = random_point(rng)
        truth = geodesic_km(lat1, lon1, lat2, lon2)
        if truth > 19_000:  # near-antipodal pairs are out of scope
            continue
        assert distance_km(lat1, lon1, lat2, lon2) == pytest.approx(truth, rel=5e-4), (lat1, lon1, lat2, lon2)
        checked += 1


@pytest.mark.parametrize("km", [0.001, 0.05, 0.5, 5.0, 50.0, 100.0])
def test_short_distances_are_accurate_at_every_latitude(km: float) -> None:
    rng = random.Random(7)
    for _ in range(200):
        lat, lon = rng.uniform(-89.9, 89.9), rng.uniform(-180, 180)
        lat2, lon2 = destination(lat, lon, rng.uniform(-180, 180), km)
        assert distance_km(lat, lon, lat2, lon2) == pytest.approx(km, rel=5e-4)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(0.0, 0.0), (40.7128, -74.006), (90.0, 0.0), (-90.0, 45.0), (-18.1, 180.0), (12.5, -180.0)],
)
def test_distance_from_a_point_to_itself_is_zero(lat: float, lon: float) -> None:
    assert distance_km(lat, lon, lat, lon) == 0.0


def test_the_two_spellings_of_the_antimeridian_are_the_same_place() -> None:
    assert distance_km(-18.1, 180.0, -18.1, -180.0) == 0.0


def test_distance_is_symmetric() -> None:
    rng = random.Random(3)
    for _ in range(200):
        a, b = random_point(rng), random_point(rng)
        assert distance_km(*a, *b) == pytest.approx(distance_km(*b, *a), rel=1e-12)


@pytest.mark.parametrize(("lat", "lon"), [(0, 0), (90, 180), (-90, -180), (45.5, -122.6), (-33.9, 151.2)])
def test_coordinates_on_or_inside_the_limits_are_accepted(lat: float, lon: float) -> None:
    validate_coordinates(lat, lon)


@pytest.mark.parametrize(
    ("lat", "lon", "named"),
    [
        (90.0001, 0.0, "latitude"),
        (-91.0, 0.0, "latitude"),
        (math.nan, 0.0, "latitude"),
        (math.inf, 0.0, "latitude"),
        (0.0, 180.5, "longitude"),
        (0.0, -181.0, "longitude"),
        (0.0, math.nan, "longitude"),
        (0.0, -math.inf, "longitude"),
    ],
)
def test_bad_coordinates_are_rejected_naming_the_bad_one(lat: float, lon: float, named: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{named} ") as caught:
        validate_coordinates(lat, lon)
    assert caught.value.code is ErrorCode.INVALID_COORDINATES


@pytest.mark.parametrize("radius", [0.001, 1.0, 25, MAX_RADIUS_KM])
def test_radius_up_to_the_maximum_is_accepted(radius: float) -> None:
    validate_radius(radius)


@pytest.mark.parametrize("radius", [0.0, -1.0, MAX_RADIUS_KM + 0.001, 1e9, math.nan, math.inf, -math.inf])
def test_bad_radius_is_rejected(radius: float) -> None:
    with pytest.raises(InvalidInput, match="radius_km") as caught:
        validate_radius(radius)
    assert caught.value.code is ErrorCode.INVALID_RADIUS


def test_radius_limit_can_be_changed_by_the_caller() -> None:
    validate_radius(250.0, max_km=500.0)
    with pytest.raises(InvalidInput) as caught:
        validate_radius(50.0, max_km=10.0)
    assert caught.value.code is ErrorCode.INVALID_RADIUS


def _box_centres(rng: random.Random) -> list[tuple[float, float]]:
    """Ordinary places plus centres close to the poles and the antimeridian."""
    centres = [random_point(rng) for _ in range(150)]
    centres += [(rng.uniform(88.5, 90.0), rng.uniform(-180, 180)) for _ in range(50)]
    centres += [(rng.uniform(-90.0, -88.5), rng.uniform(-180, 180)) for _ in range(50)]
    centres += [(rng.uniform(-70, 70), rng.choice([1, -1]) * rng.uniform(178.5, 180.0)) for _ in range(100)]
    centres += [(0.0, 180.0), (0.0, -180.0), (90.0, 0.0), (-90.0, 0.0)]
    return centres


def test_bounding_box_contains_every_point_within_the_radius() -> None:
    rng = random.Random(99)
    checked = 0
    for lat, lon in _box_centres(rng):
        radius = rng.choice([0.05, 1.0, 10.0, MAX_RADIUS_KM, rng.uniform(0.01, MAX_RADIUS_KM), 1500.0])
        box = bounding_box(lat, lon, radius)
        # Points at the compass bearings and at random ones, mostly near the rim.
        for azimuth in [0.0, 90.0, 180.0, -90.0, *(rng.uniform(-180, 180) for _ in range(60))]:
            point = destination(lat, lon, azimuth, radius * rng.choice([1.0, rng.uniform(0.995, 1.0), rng.random()]))
            if distance_km(lat, lon, *point) <= radius:
                assert box.contains(*point), (lat, lon, radius, box, point)
                checked += 1
    assert checked > 15_000


@pytest.mark.parametrize(("lat", "lon"), [(40.7, -74.0), (-33.9, 151.2), (60.0, 10.0), (0.0, 0.0)])
@pytest.mark.parametrize("radius", [1.0, 25.0, MAX_RADIUS_KM])
def test_bounding_box_is_only_slightly_larger_than_the_circle(lat: float, lon: float, radius: float) -> None:
    box = bounding_box(lat, lon, radius)
    for azimuth in (0.0, 90.0, 180.0, -90.0):
        assert not box.contains(*destination(lat, lon, azimuth, radius * 1.03 + 0.002))
        assert box.contains(*destination(lat, lon, azimuth, radius))


def test_bounding_box_reaching_a_pole_spans_every_longitude() -> None:
    box = bounding_box(89.9, 20.0, 50.0)
    assert box == BoundingBox(box.min_lat, 90.0, -180.0, 180.0, crosses_antimeridian=False)
    assert 89.4 < box.min_lat < 89.5
    south = bounding_box(-89.99, -120.0, 5.0)
    assert (south.min_lat, south.min_lon, south.max_lon) == (-90.0, -180.0, 180.0)


def test_bounding_box_across_the_antimeridian_is_wrapped() -> None:
    box = bounding_box(-18.0, 179.9, 50.0)
    assert box.crosses_antimeridian
    assert box.min_lon > box.max_lon
    assert 179.0 < box.min_lon < 179.9
    assert -180.0 < box.max_lon < -179.0
    assert box.contains(-18.0, 179.95)
    assert box.contains(-18.0, -179.9)
    assert not box.contains(-18.0, 0.0)


def test_bounding_box_centred_on_the_antimeridian_covers_both_spellings() -> None:
    for lon in (180.0, -180.0):
        box = bounding_box(0.0, lon, 10.0)
        assert box.crosses_antimeridian
        assert box.contains(0.0, 180.0)
        assert box.contains(0.0, -180.0)


def test_bounding_box_away_from_poles_and_antimeridian_is_plain() -> None:
    box = bounding_box(40.7128, -74.006, 10.0)
    assert not box.crosses_antimeridian
    assert box.min_lat < 40.7128 < box.max_lat
    assert box.min_lon < -74.006 < box.max_lon
    # 10 km is about 0.09 degrees of latitude at New York.
    assert box.max_lat - box.min_lat == pytest.approx(2 * 10.0 / 111.03, rel=0.02)


def test_bounding_box_of_a_quarter_meridian_or_more_is_the_whole_world() -> None:
    assert bounding_box(10.0, 10.0, 10_000.0) == BoundingBox(-90.0, 90.0, -180.0, 180.0)


def test_bounding_box_rejects_bad_centre_or_radius() -> None:
    with pytest.raises(InvalidInput) as caught:
        bounding_box(91.0, 0.0, 5.0)
    assert caught.value.code is ErrorCode.INVALID_COORDINATES
    with pytest.raises(InvalidInput) as caught:
        bounding_box(0.0, 0.0, 0.0)
    assert caught.value.code is ErrorCode.INVALID_RADIUS


def test_distances_from_one_origin_equal_distance_km_to_the_bit() -> None:
    rng = random.Random(7)
    for _ in range(2_000):
        latitude, longitude = rng.uniform(-80, 80), rng.uniform(-180, 180)
        to = distances_from(latitude, longitude)
        for _ in range(5):
            point = (latitude + rng.uniform(-1, 1), longitude + rng.uniform(-1, 1))
            assert to(*point) == distance_km(*point, latitude, longitude)
