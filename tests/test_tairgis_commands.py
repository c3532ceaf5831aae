"""TairGis through the proxy, byte-exact: every command, option and error, in Tair's
order (src/tairgis.c: arity, then the key's existence and type, then the options in the
order given), the WKT text Tair prints back, GeoJSON input and the GIS* spellings.
"""

from __future__ import annotations

import pytest

from tests.tairgis_replies import EMPTY, INVALID, NIL, OK, WRONGTYPE, arity, bulk, err, found, i, strings

SQUARE = "POLYGON((10 10,10 50,50 50,50 10))"
SMALL = "POLYGON((10 10,10 20,20 20))"


def add_sicily(raw):
    assert raw("GIS.ADD", "Sicily", "Palermo", "POINT (13.361389 38.115556)",
               "Catania", "POINT(15.087269 37.502669)") == i(2)


PALERMO = "POINT(13.361389 38.115556)"
CATANIA = "POINT(15.087269 37.502669)"


# ----------------------------------------------------------------- GIS.ADD


def test_add_arity(raw):
    assert raw("GIS.ADD", "k") == arity("gis.add")
    assert raw("GIS.ADD", "k", "a") == arity("gis.add")
    assert raw("GIS.ADD", "k", "a", "POINT(1 2)", "b") == arity("gis.add")
    assert raw("EXISTS", "k") == i(0)


def test_add_counts_every_pair_updates_included(raw):
    assert raw("GIS.ADD", "k", "a", "POINT(1 2)", "b", "POINT(3 4)") == i(2)
    assert raw("GIS.ADD", "k", "a", "POINT(5 6)") == i(1)
    assert raw("GIS.ADD", "k", "c", "POINT(1 1)", "c", "POINT(2 2)") == i(2)
    assert raw("GIS.GET", "k", "a") == bulk("POINT(5 6)")
    assert raw("GIS.GET", "k", "c") == bulk("POINT(2 2)")
    assert raw("GIS.GETALL", "k", "WITHOUTWKT") == strings("a", "b", "c")


def test_add_invalid_geometry_stores_nothing(raw):
    assert raw("GIS.ADD", "k", "a", "POINT(1 2)", "b", "POINT(1,2)") == INVALID
    assert raw("EXISTS", "k") == i(0)
    assert raw("GIS.ADD", "k", "a", "POINT(1 2)") == i(1)
    assert raw("GIS.ADD", "k", "b", "POINT(3 4)", "a", "BOGUS") == INVALID
    assert raw("GIS.GETALL", "k") == strings("a", "POINT(1 2)")


@pytest.mark.parametrize("wkt", [
    "", "   ", "BOGUS", "POINT", "POINT(1)", "POINT(1 2", "POINT(1,2)", "POINT(1 2) x", "POINTX(1 2)",
    "POINT Z(1 2)", "POINT ZM(1 2 3)", "POINT EMPTY EMPTY", "POINT ZZ(1 2 3)", "LINESTRING(1 2,)",
    "MULTIPOINT((1 2),(3 4))", "MULTIPOX(1 2)", "\x00POINT(1 2)", " {\"type\":\"Point\",\"coordinates\":[1,2]}",
    "{\"type\":\"Point\"}", "{\"type\":\"point\",\"coordinates\":[1,2]}", "{\"type\":\"Point\",\"coordinates\":[1]}",
    "{\"type\":\"Point\",\"coordinates\":[true,2]}", "{\"type\":\"LineString\",\"coordinates\":[[1,2],[3,4,5]]}",
    "{\"type\":\"Point\",\"coordinates\":[1,2]", "{\"type\":\"Feature\",\"geometry\":null}",
])
def test_add_unparsable(raw, wkt):
    assert raw("GIS.ADD", "k", "a", wkt) == INVALID


@pytest.mark.parametrize("wkt, printed", [
    # Any number strtod reads is a coordinate to the module: off the globe, infinite, NaN
    # (printed as its bits), hex; and rings of any length.
    ("POINT (200 100)", "POINT(200 100)"),
    ("POINT(0 -90.5)", "POINT(0 -90.5)"),
    ("LINESTRING(0 0,200 0)", "LINESTRING(0 0,200 0)"),
    ("POINT(nan 0)", "POINT(NaN(7FF8000000000000) 0)"),
    ("POINT(-nan 0)", "POINT(NaN(FFF8000000000000) 0)"),
    ("POINT(nan(123) 1)", "POINT(NaN(7FF800000000007B) 1)"),
    ("POINT(inf 0)", "POINT(inf 0)"),
    ("POINT(1e400 -1e400)", "POINT(inf -inf)"),
    ("POINT(0x10 1)", "POINT(16 1)"),
    ("POLYGON((0 0,1 1))", "POLYGON((0 0,1 1))"),
    ("POLYGON(())", "POLYGON(())"),
    ("POLYGON((0 0,9 0,9 9),(1 1,2 2))", "POLYGON((0 0,9 0,9 9),(1 1,2 2))"),
])
def test_add_keeps_every_coordinate_the_module_reads(raw, wkt, printed):
    assert raw("GIS.ADD", "k", "a", wkt) == i(1)
    assert raw("GIS.GET", "k", "a") == bulk(printed)


@pytest.mark.parametrize("given, printed", [
    ("POINT (30 11)", "POINT(30 11)"),
    ("point(1 2)", "POINT(1 2)"),
    ("  POINT ( 1   2 )  ", "POINT(1 2)"),
    ("POINT(1 2)\x00ignored", "POINT(1 2)"),
    ("POINT(0.5 0.25)", "POINT(.5 2.5e-1)"),
    ("POINT(0.05 -0.001)", "POINT(.05 -.001)"),
    ("POINT(100 1e-4)", "POINT(100 1e-4)"),
    ("POINT(0x10 -0)", "POINT(16 -0)"),
    ("POINT(127.575685 15.633216)", "POINT(127.57568499999999 15.633215999999999)"),
    ("POINT(-88.225873 .1)", "POINT(-88.225873000000007 .1)"),
    ("POINT(120.028041 30.285179)", "POINT(120.028041 30.285179)"),
    ("POINT Z (1 2 3)", "POINT(1 2 3)"),
    ("POINTZ(1 2 3)", "POINT(1 2 3)"),
    ("POINT M (1 2 3)", "POINT M(1 2 3)"),
    ("POINT ZM (1 2 3 4)", "POINT(1 2 3 4)"),
    ("POINT(1 2 3 4)", "POINT(1 2 3 4)"),
    ("POINT EMPTY", "POINT(0 0)"),
    ("POINT Z EMPTY", "POINT(0 0 0)"),
    ("LINESTRING EMPTY", "LINESTRING()"),
    ("LINESTRING (30 10, 40 40)", "LINESTRING(30 10,40 40)"),
    ("LINESTRING(1 2 3, 4 5)", "LINESTRING(1 2 3,4 5 0)"),
    ("LINESTRING(1 2 3 4, 5 6)", "LINESTRING(1 2 3 4,5 6 0 4)"),
    ("LINESTRING(1 2)", "LINESTRING(1 2)"),
    ("POLYGON EMPTY", "POLYGON()"),
    ("POLYGON ((30 10, 40 40, 20 40, 10 20, 30 10))", "POLYGON((30 10,40 40,20 40,10 20,30 10))"),
    ("POLYGON((0 0,9 0,9 9,0 9),(1 1,2 1,2 2))", "POLYGON((0 0,9 0,9 9,0 9),(1 1,2 1,2 2))"),
    ("MULTIPOINT (30 10, 40 40)", "MULTIPOINT(30 10,40 40)"),
    ("MULTILINESTRING ((1 2, 3 4), (5 6, 7 8))", "MULTILINESTRING((1 2,3 4),(5 6,7 8))"),
    ("MULTIPOLYGON (((0 0,1 0,1 1)),((5 5,6 5,6 6)))", "MULTIPOLYGON(((0 0,1 0,1 1)),((5 5,6 5,6 6)))"),
    ("GEOMETRYCOLLECTION (POINT M (1 2 3), LINESTRING (1 2, 3 4))",
     "GEOMETRYCOLLECTION(POINT M(1 2 3),LINESTRING(1 2,3 4))"),
    ("GEOMETRYCOLLECTION EMPTY", "GEOMETRYCOLLECTION()"),
    ("POLYGON((0 0,2 0,0 2,2 2))", "POLYGON((0 0,2 0,0 2,2 2))"),  # self-crossing: kept as given
    ('{"type":"Point","coordinates":[1,2]}', "POINT(1 2)"),
    ('{"type":"Point","coordinates":[1.5,2,3]}', "POINT(1.5 2 3)"),
    ('{"type":"Point","coordinates":[1,2,3,4]}', "POINT(1 2 3 0)"),
    ('{"type":"LineString","coordinates":[[1,2],[3,4]]}', "LINESTRING(1 2,3 4)"),
    ('{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}', "POLYGON((0 0,1 0,1 1,0 0))"),
    ('{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}', "MULTIPOINT(1 2,3 4)"),
    ('{"type":"MultiLineString","coordinates":[[[1,2],[3,4]]]}', "MULTILINESTRING((1 2,3 4))"),
    ('{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1]]]]}', "MULTIPOLYGON(((0 0,1 0,1 1)))"),
    ('{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}',
     "GEOMETRYCOLLECTION(POINT(1 2))"),
    ('{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[3,4]}}', "POINT(3 4)"),
])
def test_add_get_prints_like_tair(raw, given, printed):
    assert raw("GIS.ADD", "k", "a", given) == i(1)
    assert raw("GIS.GET", "k", "a") == bulk(printed)


def test_add_wrongtype_wins_over_invalid_geometry(raw):
    raw("SET", "s", "v")
    assert raw("GIS.ADD", "s", "a", "BOGUS") == WRONGTYPE
    assert raw("GIS.ADD", "s", "a", "POINT(1 2)") == WRONGTYPE
    assert raw("GET", "s") == bulk("v")


def test_many_pairs_in_one_add(raw):
    args = []
    for n in range(2500):
        args += [f"p{n}", f"POINT({n % 360 - 180} {n % 180 - 90})"]
    assert raw("GIS.ADD", "many", *args) == i(2500)
    assert raw("HLEN", "many") == i(2501)
    assert raw("GIS.GET", "many", "p2499") == bulk("POINT(159 69)")
    assert raw("GIS.CONTAINS", "many", "POINT(159 69)", "WITHOUTWKT") == found(
        7, "p339", "p699", "p1059", "p1419", "p1779", "p2139", "p2499"
    )


# ----------------------------------------------------------------- GIS.GET / GIS.DEL


def test_get(raw):
    assert raw("GIS.GET", "k") == arity("gis.get")
    assert raw("GIS.GET", "k", "a") == NIL
    assert raw("GIS.ADD", "k", "a", SQUARE) == i(1)
    assert raw("GIS.GET", "k", "a") == bulk(SQUARE)
    assert raw("GIS.GET", "k", "a", "extra", "ignored") == bulk(SQUARE)
    assert raw("GIS.GET", "k", "b") == NIL


def test_del(raw):
    assert raw("GIS.DEL", "k") == arity("gis.del")
    assert raw("GIS.DEL", "k", "a") == NIL
    assert raw("GIS.ADD", "k", "a", SQUARE, "b", SMALL) == i(2)
    assert raw("GIS.DEL", "k", "x") == NIL
    assert raw("GIS.DEL", "k", "a", "extra") == OK
    assert raw("GIS.GET", "k", "a") == NIL
    assert raw("GIS.CONTAINS", "k", "POINT(15 15)", "WITHOUTWKT") == found(1, "b")
    assert raw("GIS.DEL", "k", "b") == OK
    assert raw("EXISTS", "k") == i(0)
    assert raw("GIS.DEL", "k", "b") == NIL


def test_member_names_are_binary(raw):
    names = [b"\x00gis", b"\x00", b"", b"\x00\x00x", b"caf\xc3\xa9", b"with space"]
    for n, name in enumerate(names):
        assert raw("GIS.ADD", "k", name, f"POINT({n} 0)") == i(1)
    for n, name in enumerate(names):
        assert raw("GIS.GET", "k", name) == bulk(f"POINT({n} 0)")
    assert raw("GIS.GETALL", "k", "WITHOUTWKT") == strings(*sorted(names))
    assert raw("GIS.SEARCH", "k", "MEMBER", b"\x00gis", "1", "m", "WITHOUTWKT") == found(1, b"\x00gis")
    assert raw("GIS.DEL", "k", b"\x00gis") == OK
    assert raw("GIS.GET", "k", b"\x00gis") == NIL
    assert raw("TYPE", "k") == b"+exgistype\r\n"


# ----------------------------------------------------------------- GIS.GETALL


def test_getall(raw):
    assert raw("GIS.GETALL") == arity("gis.getall")
    assert raw("GIS.GETALL", "k") == NIL
    assert raw("GIS.GETALL", "k", "COUNT") == NIL  # no key: nil before any option is read
    assert raw("GIS.ADD", "k", "b", SMALL, "a", SQUARE, "B", "POINT(1 1)") == i(3)
    assert raw("GIS.GETALL", "k") == strings("B", "POINT(1 1)", "a", SQUARE, "b", SMALL)
    assert raw("GIS.GETALL", "k", "withoutwkt") == strings("B", "a", "b")
    assert raw("GIS.GETALL", "k", "WITHOUTVALUE") == strings("B", "a", "b")
    assert raw("GIS.GETALL", "k", "WITHOUTWKT", "WITHVALUE") == strings("B", "POINT(1 1)", "a", SQUARE, "b", SMALL)
    assert raw("GIS.GETALL", "k", "WITHDIST", "bogus", "WITHOUTWKT") == strings("B", "a", "b")


def test_getall_option_errors(raw):
    assert raw("GIS.ADD", "k", "a", SQUARE) == i(1)
    assert raw("GIS.GETALL", "k", "RADIUS", "1", "2", "3") == err("ERR need longitude, latitude, meters, unit")
    assert raw("GIS.GETALL", "k", "RADIUS", "x", "2", "3", "km") == err("ERR need numeric longitude")
    assert raw("GIS.GETALL", "k", "GEOM") == err("ERR need geometry")
    assert raw("GIS.GETALL", "k", "GEOM", "BOGUS") == INVALID
    assert raw("GIS.GETALL", "k", "MEMBER", "a", "1") == err("ERR need member, meters, unit")
    assert raw("GIS.GETALL", "k", "COUNT") == err("ERR count need number")
    assert raw("GIS.GETALL", "k", "COUNT", "x") == err("ERR count must be number")
    assert raw("GIS.GETALL", "k", "LIMIT") == err("ERR limit need number")
    assert raw("GIS.GETALL", "k", "LIMIT", "1.5") == err("ERR limit must be number")
    # Where Tair's module would crash the server (it has no search context to fill), an error.
    for opts in (["COUNT", "1"], ["LIMIT", "0"], ["asc"], ["DESC"], ["RADIUS", "1", "2", "3", "km"],
                 ["GEOM", "POINT(1 1)"], ["MEMBER", "a", "1", "km"], ["WITHOUTWKT", "COUNT", "-1"]):
        word = next(o for o in opts if o not in ("WITHOUTWKT",)).upper()
        assert raw("GIS.GETALL", "k", *opts) == err(
            f"ERR tairproxy: GIS.GETALL does not take {word} (it stops the real module)"
        )


# ----------------------------------------------------------------- CONTAINS / WITHIN / INTERSECTS


@pytest.mark.parametrize("cmd", ["GIS.CONTAINS", "GIS.WITHIN", "GIS.INTERSECTS", "GIS.SEARCH"])
def test_search_family_basics(raw, cmd):
    assert raw(cmd, "k") == arity(cmd)
    assert raw(cmd, "k", "BOGUS") == EMPTY  # no key: an empty array whatever the arguments
    assert raw(cmd, "k", "POINT(1 2)", "COUNT", "0") == EMPTY
    raw("SET", "s", "v")
    assert raw(cmd, "s", "BOGUS") == WRONGTYPE
    assert raw("GIS.ADD", "k", "a", SQUARE) == i(1)
    assert raw(cmd, "k", "BOGUS") == INVALID
    assert raw(cmd, "k", "POINT(1 2 3") == INVALID
    assert raw(cmd, "k", "POINT(500 0)") == found(0)  # query shapes need no lon/lat range
    assert raw(cmd, "k", "POINT(nan 0)") == found(0)
    assert raw(cmd, "k", "POINT(1 2)", "COUNT", "x") == err("ERR count must be number")


def test_contains(raw):
    assert raw("GIS.ADD", "k", "big", SQUARE, "small", SMALL, "line", "LINESTRING(0 0,60 60)",
               "pt", "POINT(15 15)") == i(4)
    assert raw("GIS.CONTAINS", "k", "POINT (15 15)", "WITHOUTWKT") == found(4, "big", "small", "line", "pt")
    assert raw("GIS.CONTAINS", "k", "POINT (15 16)", "WITHOUTWKT") == found(2, "big", "small")
    assert raw("GIS.CONTAINS", "k", "POINT (10 30)") == found(1, "big", SQUARE)  # on the edge: contained
    assert raw("GIS.CONTAINS", "k", "LINESTRING(11 12,19 19.5)", "WITHOUTWKT") == found(2, "big", "small")
    assert raw("GIS.CONTAINS", "k", "LINESTRING(20 20,30 30)", "WITHOUTWKT") == found(2, "big", "line")
    # Polygon against polygon, the module accepts either inside the other.
    assert raw("GIS.CONTAINS", "k", "POLYGON((10 10,10 50,50 50,50 10))", "WITHOUTWKT") == found(2, "big", "small")
    assert raw("GIS.CONTAINS", "k", "POLYGON((0 0,0 100,100 100,100 0))", "WITHOUTWKT") == found(2, "big", "small")
    assert raw("GIS.CONTAINS", "k", "POINT (100 15)") == found(0)


def test_within(raw):
    assert raw("GIS.ADD", "campus", "campus", "POLYGON ((30 10, 40 40, 20 40, 10 20, 30 10))") == i(1)
    assert raw("GIS.WITHIN", "campus", "POLYGON ((30 5, 50 50, 20 50, 5 20, 30 5))") == found(
        1, "campus", "POLYGON((30 10,40 40,20 40,10 20,30 10))"
    )
    assert raw("GIS.ADD", "k", "big", SQUARE, "small", SMALL, "pt", "POINT(15 15)", "edge", "POINT(10 12)") == i(4)
    assert raw("GIS.WITHIN", "k", "POLYGON((9 9,9 21,21 21,21 9))", "WITHOUTWKT") == found(3, "small", "pt", "edge")
    assert raw("GIS.WITHIN", "k", SMALL, "WITHOUTWKT") == found(3, "small", "pt", "edge")  # boundary counts
    assert raw("GIS.WITHIN", "k", "POINT(15 15)", "WITHOUTWKT") == found(1, "pt")


def test_intersects(raw):
    assert raw("GIS.ADD", "campus", "campus", "POLYGON ((30 10, 40 40, 20 40, 10 20, 30 10))") == i(1)
    assert raw("GIS.INTERSECTS", "campus", "LINESTRING (30 10, 40 40)") == found(
        1, "campus", "POLYGON((30 10,40 40,20 40,10 20,30 10))"
    )
    assert raw("GIS.ADD", "k", "big", SQUARE, "far", "POINT(100 80)", "line", "LINESTRING(0 60,60 60)") == i(3)
    assert raw("GIS.INTERSECTS", "k", "LINESTRING(55 0,55 70)", "WITHOUTWKT") == found(1, "line")
    assert raw("GIS.INTERSECTS", "k", "POLYGON((0 0,0 60,70 60,70 0))", "WITHOUTWKT") == found(2, "big", "line")
    # GIS.SEARCH tests a line by its vertices (from the second on) against points only.
    assert raw("GIS.SEARCH", "k", "POLYGON((0 0,0 60,70 60,70 0))", "WITHOUTWKT") == found(1, "big")
    assert raw("GIS.SEARCH", "k", "POINT(60 60)", "WITHOUTWKT") == found(1, "line")
    assert raw("GIS.SEARCH", "k", "POINT(0 60)", "WITHOUTWKT") == found(0)


def test_geojson_queries(raw):
    assert raw("GIS.ADD", "k", "big", '{"type":"Polygon","coordinates":[[[10,10],[10,50],[50,50],[50,10]]]}') == i(1)
    assert raw("GIS.GET", "k", "big") == bulk("POLYGON((10 10,10 50,50 50,50 10))")
    point = '{"type":"Point","coordinates":[15,15]}'
    feature = '{"type":"Feature","properties":{"id":"q"},"geometry":' + point + "}"
    assert raw("GIS.CONTAINS", "k", point, "WITHOUTWKT") == found(1, "big")
    assert raw("GIS.CONTAINS", "k", feature, "WITHOUTWKT") == found(1, "big")
    assert raw("GIS.SEARCH", "k", "GEOM", feature, "WITHOUTWKT") == found(1, "big")


def test_withdist_and_sorting_measure_from_0_0_without_radius(raw):
    add_sicily(raw)
    geom = "POLYGON((10 30,20 30,20 40,10 40))"
    assert raw("GIS.SEARCH", "Sicily", "GEOM", geom, "WITHDIST", "ASC") == found(
        2, "Catania", CATANIA, "4449696.2373", "Palermo", PALERMO, "4454733.1882"
    )
    assert raw("GIS.CONTAINS", "Sicily", PALERMO, "WITHDIST") == found(1, "Palermo", PALERMO, "4454733.1882")
    assert raw("GIS.SEARCH", "Sicily", geom, "DESC", "WITHOUTWKT") == found(2, "Palermo", "Catania")
    assert raw("GIS.SEARCH", "Sicily", geom, "ASC", "DESC", "WITHOUTWKT") == found(2, "Catania", "Palermo")
    assert raw("GIS.SEARCH", "Sicily", geom, "DESC", "ASC", "WITHOUTWKT") == found(2, "Palermo", "Catania")
    assert raw("GIS.SEARCH", "Sicily", geom, "COUNT", "1", "WITHOUTWKT") == found(1, "Catania")


# ----------------------------------------------------------------- GIS.SEARCH


def test_search_radius(raw):
    add_sicily(raw)
    assert raw("GIS.SEARCH", "Sicily", "RADIUS", "15", "37", "200", "km", "WITHDIST", "ASC") == found(
        2, "Catania", CATANIA, "56.4413", "Palermo", PALERMO, "190.4424"
    )
    assert raw("GIS.SEARCH", "Sicily", "RADIUS", "15", "37", "100", "KM", "WITHOUTWKT") == found(1, "Catania")
    assert raw("GIS.SEARCH", "Sicily", "RADIUS", "15", "37", "56441", "m", "WITHOUTWKT") == found(0)
    assert raw("GIS.SEARCH", "Sicily", "RADIUS", "15", "37", "56442", "m", "WITHOUTWKT") == found(1, "Catania")
    assert raw("GIS.SEARCH", "Sicily", "RADIUS", "15", "37", "118.3", "mi", "WITHDIST", "DESC") == found(
        1, "Catania", CATANIA, "35.0711"
    )
    assert raw("GIS.SEARCH", "Sicily", "RADIUS", "15", "37", "200000", "ft", "WITHDIST", "WITHOUTWKT") == found(
        1, "Catania", "185175.0003"
    )


def test_search_radius_errors(raw):
    add_sicily(raw)
    s = ("GIS.SEARCH", "Sicily")
    assert raw(*s, "RADIUS", "15", "37", "200") == err("ERR need longitude, latitude, meters, unit")
    assert raw(*s, "RADIUS", "x", "37", "200", "km") == err("ERR need numeric longitude")
    assert raw(*s, "RADIUS", " 15", "37", "200", "km") == err("ERR need numeric longitude")
    assert raw(*s, "RADIUS", "15", "nan", "200", "km") == err("ERR need numeric latitude")
    assert raw(*s, "RADIUS", "15", "37", "1e999", "km") == err("ERR need numeric meters")
    assert raw(*s, "RADIUS", "15", "37", "200", "yd") == err("ERR unsupported unit provided. please use m, km, ft, mi")
    assert raw(*s, "RADIUS", "181", "37", "200", "yd") == err("ERR unsupported unit provided. please use m, km, ft, mi")
    assert raw(*s, "RADIUS", "181", "37", "200", "km") == err("ERR invalid longitude/latitude pair")
    assert raw(*s, "RADIUS", "15", "-90.1", "200", "km") == err("ERR invalid longitude/latitude pair")
    assert raw(*s, "RADIUS", "180", "90", "0", "m") == found(0)
    assert raw(*s, "RADIUS", "15", "37e0", "2e2", "km\x00junk", "WITHOUTWKT") == found(2, "Palermo", "Catania")
    # Valkey 9 reads these numbers with fast_float: no hex.
    assert raw(*s, "RADIUS", "0x0F", "37", "200", "km") == err("ERR need numeric longitude")
    assert raw(*s, "RADIUS", "15", "0x25", "200", "km") == err("ERR need numeric latitude")
    assert raw(*s, "RADIUS", "15", "37", "0x1f", "km") == err("ERR need numeric meters")
    assert raw(*s, "RADIUS", "15", "37", "0x1p3", "km") == err("ERR need numeric meters")
    assert raw(*s, "MEMBER", "Palermo", "0x10", "km") == err("ERR need numeric meters")


def test_search_member(raw):
    add_sicily(raw)
    assert raw("GIS.ADD", "Sicily", "island", "POLYGON((12 36,16 36,16 39,12 39))") == i(1)
    assert raw("GIS.SEARCH", "Sicily", "MEMBER", "Palermo", "200", "km", "WITHDIST", "ASC") == found(
        3, "Palermo", PALERMO, "0.0000", "island", "POLYGON((12 36,16 36,16 39,12 39))", "88.5260",
        "Catania", CATANIA, "166.2743",
    )
    assert raw("GIS.SEARCH", "Sicily", "MEMBER", "Palermo", "1", "km", "WITHOUTWKT") == found(2, "Palermo", "island")
    assert raw("GIS.SEARCH", "Sicily", "MEMBER", "Palermo", "1", "km") == found(
        2, "Palermo", PALERMO, "island", "POLYGON((12 36,16 36,16 39,12 39))"
    )
    assert raw("GIS.SEARCH", "Sicily", "MEMBER", "nobody", "1", "km") == err("ERR member not found")
    assert raw("GIS.SEARCH", "Sicily", "MEMBER", "island", "1", "km") == err("ERR member must be point")
    assert raw("GIS.SEARCH", "Sicily", "MEMBER", "Palermo", "1") == err("ERR need member, meters, unit")
    assert raw("GIS.SEARCH", "Sicily", "MEMBER", "Palermo", "x", "km") == err("ERR need numeric meters")
    assert raw("GIS.SEARCH", "Sicily", "MEMBER", "Palermo", "1", "au") == err(
        "ERR unsupported unit provided. please use m, km, ft, mi"
    )
    # options are read in order: an earlier bad COUNT wins, a later one loses to the member
    assert raw("GIS.SEARCH", "Sicily", "COUNT", "x", "MEMBER", "nobody", "1", "km") == err("ERR count must be number")
    assert raw("GIS.SEARCH", "Sicily", "MEMBER", "nobody", "1", "km", "COUNT", "x") == err("ERR member not found")


def test_search_geom_and_default_geometry(raw):
    add_sicily(raw)
    box = "POLYGON((10 30,20 30,20 40,10 40))"
    assert raw("GIS.SEARCH", "Sicily", "GEOM", box, "WITHOUTWKT") == found(2, "Palermo", "Catania")
    assert raw("GIS.SEARCH", "Sicily", box, "WITHOUTWKT") == found(2, "Palermo", "Catania")
    assert raw("GIS.SEARCH", "Sicily", "GEOM") == err("ERR need geometry")
    assert raw("GIS.SEARCH", "Sicily", "GEOM", "BOGUS") == INVALID
    assert raw("GIS.SEARCH", "Sicily", "COUNT", "3") == INVALID  # argv[2] is then the geometry
    # RADIUS then GEOM: the geometry decides, the radius centre and unit stay for distances
    assert raw("GIS.SEARCH", "Sicily", "RADIUS", "15", "37", "1", "km", "GEOM", box, "WITHDIST", "WITHOUTWKT") == found(
        2, "Palermo", "190.4424", "Catania", "56.4413"
    )


def test_search_count_and_limit(raw):
    for n in range(5):
        assert raw("GIS.ADD", "row", f"p{n}", f"POINT({n} 0)") == i(1)
    everything = "POLYGON((-1 -1,10 -1,10 1,-1 1))"
    assert raw("GIS.SEARCH", "row", everything, "WITHOUTWKT") == found(5, "p0", "p1", "p2", "p3", "p4")
    assert raw("GIS.SEARCH", "row", everything, "COUNT", "2", "WITHOUTWKT") == found(2, "p0", "p1")
    assert raw("GIS.SEARCH", "row", everything, "COUNT", "9", "WITHOUTWKT") == found(5, "p0", "p1", "p2", "p3", "p4")
    assert raw("GIS.SEARCH", "row", everything, "COUNT", "2", "DESC", "WITHOUTWKT") == found(2, "p4", "p3")
    assert raw("GIS.SEARCH", "row", everything, "LIMIT", "3", "DESC", "WITHOUTWKT") == found(3, "p2", "p1", "p0")
    assert raw("GIS.SEARCH", "row", everything, "COUNT") == err("ERR count need number")
    assert raw("GIS.SEARCH", "row", everything, "COUNT", "01") == err("ERR count must be number")
    assert raw("GIS.SEARCH", "row", everything, "COUNT", "0") == err("ERR count must be > 0")
    assert raw("GIS.SEARCH", "row", everything, "COUNT", "-1") == err("ERR count must be > 0")
    assert raw("GIS.SEARCH", "row", everything, "LIMIT") == err("ERR limit need number")
    assert raw("GIS.SEARCH", "row", everything, "LIMIT", "x") == err("ERR limit must be number")
    assert raw("GIS.SEARCH", "row", everything, "LIMIT", "0") == err("ERR limit must be > 0")


def test_radius_over_non_point_members_uses_tairs_12_sided_circle(raw):
    # A polygon whose corner is 1 km north of the centre: the 12-gon's north vertex reaches
    # it at 1 km (a polygon vertex inside the circle), not at 0.99 km.
    assert raw("GIS.ADD", "k", "tri", "POLYGON((0 0.008993216,1 1,-1 1))") == i(1)
    assert raw("GIS.SEARCH", "k", "RADIUS", "0", "0", "1.01", "km", "WITHOUTWKT") == found(1, "tri")
    assert raw("GIS.SEARCH", "k", "RADIUS", "0", "0", "0.99", "km", "WITHOUTWKT") == found(0)
    # A line crossing the circle: only its vertices count, in GIS.INTERSECTS as well.
    assert raw("GIS.ADD", "l", "line", "LINESTRING(-1 0,1 0)") == i(1)
    assert raw("GIS.INTERSECTS", "l", "RADIUS", "0", "0", "10", "km", "WITHOUTWKT") == found(0)
    assert raw("GIS.INTERSECTS", "l", "RADIUS", "1", "0", "10", "km", "WITHOUTWKT") == found(1, "line")
    # RADIUS inside GIS.CONTAINS: polygon and circle, either inside the other.
    assert raw("GIS.ADD", "s", "sq", "POLYGON((-1 -1,1 -1,1 1,-1 1))") == i(1)
    assert raw("GIS.CONTAINS", "s", "RADIUS", "0", "0", "100", "km", "WITHOUTWKT") == found(1, "sq")
    assert raw("GIS.CONTAINS", "s", "RADIUS", "0", "0", "2000", "km", "WITHOUTWKT") == found(1, "sq")
    assert raw("GIS.CONTAINS", "s", "RADIUS", "0.9", "0.9", "100", "km", "WITHOUTWKT") == found(0)


# ----------------------------------------------------------------- iteration order


def contains_order(raw, key="o"):
    reply = raw("GIS.CONTAINS", key, "POINT(0 0)", "WITHOUTWKT")
    return [x for x in reply.split(b"\r\n")[4::2] if x]


def test_small_keys_iterate_like_tairs_rtree_leaf(raw):
    def add(name):
        assert raw("GIS.ADD", "o", name, "POLYGON((-1 -1,1 -1,1 1,-1 1))") == i(1)

    for name in "abcd":
        add(name)
    assert contains_order(raw) == [b"a", b"b", b"c", b"d"]
    add("a")  # an update removes (the last entry takes the slot) then appends
    assert contains_order(raw) == [b"d", b"b", b"c", b"a"]
    assert raw("GIS.DEL", "o", "b") == OK
    assert contains_order(raw) == [b"d", b"a", b"c"]
    assert raw("GIS.ADD", "o", "e", "POINT(0 0)", "d", "POINT(0 0)") == i(2)
    assert contains_order(raw) == [b"e", b"a", b"c", b"d"]
    assert raw("GIS.GETALL", "o", "WITHOUTWKT") == strings("a", "c", "d", "e")


def test_big_keys_iterate_in_insertion_order(raw):
    names = [f"m{n:02d}" for n in range(20)]
    for name in names:
        assert raw("GIS.ADD", "o", name, "POINT(0 0)") == i(1)
    assert contains_order(raw) == [n.encode() for n in names]
    assert raw("GIS.ADD", "o", "m00", "POINT(0 0)") == i(1)
    assert raw("GIS.DEL", "o", "m05") == OK
    expected = [n.encode() for n in names[1:] if n != "m05"] + [b"m00"]
    assert contains_order(raw) == expected


# ----------------------------------------------------------------- WRONGTYPE both ways


def test_gis_commands_on_other_types(raw):
    raw("SET", "str", "v")
    raw("HSET", "hash", "f", "v")
    raw("HSET", "fake", "\x00gis", "not ours")
    raw("RPUSH", "list", "x")
    raw("EXSET", "tstr", "v")
    for key in ("str", "hash", "fake", "list", "tstr"):
        assert raw("GIS.ADD", key, "a", "POINT(1 2)") == WRONGTYPE
        assert raw("GIS.GET", key, "a") == WRONGTYPE
        assert raw("GIS.GETALL", key) == WRONGTYPE
        assert raw("GIS.DEL", key, "a") == WRONGTYPE
        for cmd in ("GIS.CONTAINS", "GIS.WITHIN", "GIS.INTERSECTS", "GIS.SEARCH"):
            assert raw(cmd, key, "POINT(1 2)") == WRONGTYPE
        assert raw("GISADD", key, '{"type":"Feature","properties":{"id":1},"geometry":null}') == WRONGTYPE
        assert raw("GISWITHIN", key, "other") == WRONGTYPE
    assert raw("EXGET", "tstr") == b"*2\r\n$1\r\nv\r\n:1\r\n"


def test_other_commands_on_gis_keys(raw):
    assert raw("GIS.ADD", "g", "a", "POINT(1 2)") == i(1)
    assert raw("GET", "g") == WRONGTYPE
    assert raw("EXGET", "g") == WRONGTYPE
    assert raw("EXSET", "g", "v") == WRONGTYPE
    assert raw("LPUSH", "g", "x") == WRONGTYPE
    assert raw("TYPE", "g") == b"+exgistype\r\n"
    assert raw("GIS.GET", "g", "a") == bulk("POINT(1 2)")


# ----------------------------------------------------------------- GIS* spellings


def feature(geometry: str, **props) -> str:
    import json

    return json.dumps({"type": "Feature", "properties": props, "geometry": json.loads(geometry)})


def test_gisadd_features(raw):
    zone = '{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]}'
    assert raw("GISADD", "z", feature(zone, id="zone-1", name="ignored")) == i(1)
    assert raw("GISADD", "z", feature('{"type":"Point","coordinates":[1,1]}', name="by-name")) == i(1)
    assert raw("GISADD", "z", feature('{"type":"Point","coordinates":[2,2]}', id=42),
               feature('{"type":"Point","coordinates":[3,3]}', id="x")) == i(2)
    assert raw("GIS.GETALL", "z") == strings(
        "42", "POINT(2 2)", "by-name", "POINT(1 1)", "x", "POINT(3 3)", "zone-1", "POLYGON((0 0,10 0,10 10,0 10,0 0))"
    )
    assert raw("GISADD", "z") == arity("gisadd")
    assert raw("GISADD", "z", feature('{"type":"Point","coordinates":[1,1]}')) == err(
        "ERR GeoJSON Feature needs properties.id or properties.name"
    )
    assert raw("GISADD", "z", feature('{"type":"Point","coordinates":[1,1]}', id=None, name=None)) == err(
        "ERR GeoJSON Feature needs properties.id or properties.name"
    )
    assert raw("GISADD", "z", feature('{"type":"Point","coordinates":[1,1]}', id=[1])) == err(
        "ERR GeoJSON Feature properties.id or properties.name must be a string or an integer"
    )
    assert raw("GISADD", "z", '{"type":"Point","coordinates":[1,1]}') == err("ERR GISADD needs a GeoJSON Feature")
    assert raw("GISADD", "z", "POINT(1 1)") == INVALID
    assert raw("GISADD", "z", feature('{"type":"Point","coordinates":[500,1]}', id="far")) == i(1)
    assert raw("GIS.GET", "z", "far") == bulk("POINT(500 1)")
    assert raw("GISADD", "z", feature('{"type":"Point","coordinates":[1]}', id="bad")) == INVALID
    assert raw("GIS.GET", "z", "bad") == NIL


def test_gis_spellings_of_queries(raw):
    zone = '{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]}'
    assert raw("GISADD", "z", feature(zone, id="zone")) == i(1)
    assert raw("GISCONTAINS", "z", "POINT(5 5)") == found(1, "zone", "POLYGON((0 0,10 0,10 10,0 10,0 0))")
    assert raw("GISCONTAINS", "z", '{"type":"Point","coordinates":[5,5]}', "WITHOUTWKT") == found(1, "zone")
    assert raw("GISINTERSECTS", "z", "LINESTRING(-5 5,5 5)", "WITHOUTWKT") == found(1, "zone")
    assert raw("GISWITHIN", "z", "POLYGON((-1 -1,11 -1,11 11,-1 11))", "WITHOUTWKT") == found(1, "zone")
    assert raw("GISWITHIN", "z", " point(100 100)", "WITHOUTWKT") == found(0)
    assert raw("GISWITHIN", "z", "POINT(1,", "WITHOUTWKT") == INVALID
    assert raw("GISCONTAINS", "nokey", "POINT(5 5)") == EMPTY
    assert raw("GISCONTAINS", "z") == arity("giscontains")


def test_giswithin_two_keys(raw):
    assert raw("GIS.ADD", "{t}zones", "a", "POLYGON((0 0,10 0,10 10,0 10))", "b", "POLYGON((20 0,30 0,30 10,20 10))") == i(2)
    assert raw("GIS.ADD", "{t}pts", "p1", "POINT(5 5)", "p2", "POINT(15 5)", "p3", "POINT(25 5)",
               "p4", "POINT(10 10)", "line", "LINESTRING(1 1,2 2)", "cross", "LINESTRING(5 5,25 5)") == i(6)
    assert raw("GISWITHIN", "{t}zones", "{t}pts") == found(
        4, "p1", "POINT(5 5)", "p3", "POINT(25 5)", "p4", "POINT(10 10)", "line", "LINESTRING(1 1,2 2)"
    )
    assert raw("GISWITHIN", "{t}zones", "{t}pts", "WITHOUTWKT") == found(4, "p1", "p3", "p4", "line")
    assert raw("GISWITHIN", "{t}zones", "{t}none") == EMPTY
    assert raw("GISWITHIN", "{t}none", "{t}pts") == EMPTY
    raw("SET", "{t}str", "v")
    assert raw("GISWITHIN", "{t}zones", "{t}str") == WRONGTYPE
    assert raw("GISWITHIN", "{t}str", "{t}pts") == WRONGTYPE
    # the index of each key follows writes
    assert raw("GIS.ADD", "{t}pts", "p2", "POINT(9 9)") == i(1)
    assert raw("GIS.DEL", "{t}zones", "b") == OK
    assert raw("GISWITHIN", "{t}zones", "{t}pts", "WITHOUTWKT") == found(4, "p1", "p4", "line", "p2")


def test_giswithin_key_named_like_a_wkt_word_is_a_key(raw):
    raw("GIS.ADD", "zones", "z", "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))")
    raw("GIS.ADD", "points", "p", "POINT (5 5)")
    reply = raw("GISWITHIN", "zones", "points")
    assert b"$1\r\np\r\n" in reply
