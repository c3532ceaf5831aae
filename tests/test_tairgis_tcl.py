"""Every assertion of TairGis's tests/tairgis.tcl, as byte-exact RESP through the proxy.

The replication suites are left out (single node); their single-node parts (GIS.DEL
removing the key with its last member, EXPIRE) are covered here and in
test_tairgis_commands.py. RDB/AOF reload is DUMP/RESTORE here (one native key).
"""

from __future__ import annotations

from tests.tairgis_replies import EMPTY, NIL, OK, found, i, strings

AREA = "hangzhou"
POLYGON_NAME = "alibaba-xixi-campus"
POLYGON_WKT = "POLYGON((30 10,40 40,20 40,10 20,30 10))"


def first_name(raw, *cmd) -> bytes:
    reply = raw(*cmd)
    assert reply.startswith(b"*2\r\n:")
    return reply.split(b"\r\n")[4]


def count_of(raw, *cmd) -> int:
    reply = raw(*cmd)
    assert reply.startswith(b"*2\r\n:") or reply == EMPTY
    return 0 if reply == EMPTY else int(reply.split(b"\r\n")[1][1:])


def test_add_search(raw):
    area, name = "zhenzhen", "alizhongxin"
    assert raw("GIS.ADD", area, name, "POLYGON ((10 10,10 20,20 20))") == i(1)
    assert raw("GIS.SEARCH", area, "POINT (16 16)") == found(1, name, "POLYGON((10 10,10 20,20 20))")
    assert first_name(raw, "GIS.SEARCH", area, "LINESTRING (10 10, 15 15)") == name.encode()
    assert first_name(raw, "GIS.SEARCH", area, "POLYGON ((15 15, 16 17, 12 19))") == name.encode()
    raw("DEL", area)


def test_add_contains(raw):
    area, name = "beijing", "tengxun"
    assert raw("GIS.ADD", area, name, "POLYGON ((10 10, 10 50, 50 50, 50 10))") == i(1)
    for probe in ("POINT (15 15)", "LINESTRING (20 20, 30 30)", "POLYGON ((15 15, 15 30, 30 30, 30 15))"):
        assert first_name(raw, "GIS.CONTAINS", area, probe) == name.encode()
    raw("DEL", area)


def test_contains_withoutwkt_keeps_insertion_order(raw):
    area = "beijing"
    assert raw("GIS.ADD", area, "tengxun", "POLYGON((10 10,10 50,50 50,50 10))") == i(1)
    assert raw("GIS.ADD", area, "alizhongxin", "POLYGON((10 10,10 20,20 20))") == i(1)
    assert raw("GIS.CONTAINS", area, "POINT (15 15)") == found(
        2, "tengxun", "POLYGON((10 10,10 50,50 50,50 10))", "alizhongxin", "POLYGON((10 10,10 20,20 20))"
    )
    assert raw("GIS.CONTAINS", area, "POINT (15 15)", "WITHOUTWKT") == found(2, "tengxun", "alizhongxin")
    raw("DEL", area)


def _contains(raw, polygon: str, expected: dict[str, int]) -> None:
    area = "chengdu"
    assert raw("GIS.ADD", area, "test", polygon) == i(1)
    for point, n in expected.items():
        assert count_of(raw, "GIS.CONTAINS", area, point) == n, point
    raw("DEL", area)


def test_contains_point_on_vertices_and_edges_1(raw):
    _contains(raw, "POLYGON((10 0,20 10,10 20,0 10,10 0))", {
        "POINT (5 20)": 0, "POINT (5 4)": 0, "POINT (0 10)": 1, "POINT (10 10)": 1,
    })


def test_contains_point_on_vertices_and_edges_2(raw):
    _contains(raw, "POLYGON((0 0, 30 0, 30 10, 20 20, 15 15, 10 10, 10 30, 0 30,0 0))", {
        "POINT (10 10)": 1, "POINT (10 20)": 1, "POINT (15 16)": 0, "POINT (15 14)": 1, "POINT (5 5)": 1,
        "POINT (5 20)": 1, "POINT (5 10)": 1, "POINT (-5 30)": 0, "POINT (30 12)": 0,
    })


def test_contains_point_on_vertices_and_edges_3(raw):
    _contains(raw, "POLYGON((0 0, 20 20, 30 10, 40 10,40 20, 50 20, 50 0, 0 0))", {
        "POINT (20 10)": 1, "POINT (20 5)": 1, "POINT (30 10)": 1, "POINT (10 20)": 0, "POINT (45 10)": 1,
    })


def test_contains_point_on_vertices_and_edges_4(raw):
    _contains(raw, "POLYGON((0 0, 10 20, 20 20, 30 30, 30 10, 40 5, 40 0, 0 0))", {
        "POINT (20 10)": 1, "POINT (5 20)": 0,
    })


def test_contains_point_on_vertices_and_edges_5(raw):
    _contains(raw, "POLYGON((0 0, 0 10, 5 15, 10 10, 20 10, 20 25, 5 25, 5 30, 25 30, 25 20, 25 0, 0 0))", {
        "POINT (0 10)": 1, "POINT (0 15)": 0, "POINT (0 25)": 0, "POINT (5 17)": 0,
    })


def test_getall_withoutwkt_sorted_by_name(raw):
    area = "beijing"
    assert raw("GIS.ADD", area, "tengxun", "POLYGON((10 10,10 50,50 50,50 10))") == i(1)
    assert raw("GIS.ADD", area, "alizhongxin", "POLYGON((10 10,10 20,20 20))") == i(1)
    assert raw("GIS.GETALL", area) == strings(
        "alizhongxin", "POLYGON((10 10,10 20,20 20))", "tengxun", "POLYGON((10 10,10 50,50 50,50 10))"
    )
    assert raw("GIS.GETALL", area, "WITHOUTWKT") == strings("alizhongxin", "tengxun")
    raw("DEL", area)


def test_add_intersects(raw):
    area, name = "zhongshan", "lisi"
    assert raw("GIS.ADD", area, name, "POLYGON ((10 10,10 50,50 50, 50 10))") == i(1)
    for probe in ("POINT (30 30)", "LINESTRING (20 20, 30 30)", "LINESTRING (5 5, 30 30)",
                  "POLYGON ((15 15, 15 30, 30 30, 30 15))", "POLYGON ((5 5, 5 30, 30 30, 30 5))"):
        assert first_name(raw, "GIS.INTERSECTS", area, probe) == name.encode()
    raw("DEL", area)


def test_dump_restore_as_rdb_reload(raw):
    assert raw("GIS.ADD", AREA, POLYGON_NAME, POLYGON_WKT) == i(1)
    dump = raw("DUMP", AREA).split(b"\r\n", 1)[1][:-2]
    assert raw("DEL", AREA) == i(1)
    assert raw("RESTORE", AREA, 0, dump) == OK
    assert raw("GIS.GET", AREA, POLYGON_NAME) == b"$40\r\n" + POLYGON_WKT.encode() + b"\r\n"
    raw("DEL", AREA)


def test_type(raw):
    assert raw("GIS.ADD", AREA, POLYGON_NAME, POLYGON_WKT) == i(1)
    assert raw("TYPE", AREA) == b"+exgistype\r\n"
    raw("DEL", AREA)


def test_del(raw):
    assert raw("GIS.ADD", AREA, "polygon1", POLYGON_WKT) == i(1)
    assert raw("GIS.ADD", AREA, "polygon2", POLYGON_WKT) == i(1)
    assert raw("GIS.GET", AREA, "polygon1") == b"$40\r\n" + POLYGON_WKT.encode() + b"\r\n"
    assert raw("GIS.DEL", AREA, "polygon1") == OK
    assert raw("GIS.GET", AREA, "polygon1") == NIL
    assert raw("GIS.GET", AREA, "polygon2") == b"$40\r\n" + POLYGON_WKT.encode() + b"\r\n"
    # master-slave suite, single-node part: the last GIS.DEL removes the key
    assert raw("GIS.DEL", AREA, "polygon2") == OK
    assert raw("EXISTS", AREA) == i(0)
    assert raw("GIS.GET", AREA, "polygon2") == NIL


def test_contains_multipolygon(raw):
    wkt = "MULTIPOLYGON ( ((30 10, 40 40, 20 40, 10 20, 30 10)), ((30 10, 40 10, 40 0)) )"
    assert raw("GIS.ADD", "beijing", "tengxun", wkt) == i(1)
    assert raw("GIS.CONTAINS", "beijing", "POINT (30 10)") == found(
        1, "tengxun", "MULTIPOLYGON(((30 10,40 40,20 40,10 20,30 10)),((30 10,40 10,40 0)))"
    )


def test_contains_multipoint(raw):
    assert raw("GIS.ADD", "beijing", "tengxun", "MULTIPOINT (30 10, 40 40, 20 40, 10 20, 30 10)") == i(1)
    assert raw("GIS.CONTAINS", "beijing", "POINT (30 10)") == found(
        1, "tengxun", "MULTIPOINT(30 10,40 40,20 40,10 20,30 10)"
    )


def test_intersects_linestring(raw):
    assert raw("GIS.ADD", "sect", "point", "POINT (20 20)") == i(1)
    assert raw("GIS.ADD", "sect", "line", "linestring (0 20, 40 20)") == i(1)
    assert raw("GIS.ADD", "sect", "polygon", "polygon ((10 10, 30 10, 30 30, 10 30))") == i(1)
    assert count_of(raw, "GIS.INTERSECTS", "sect", "linestring (20 0,20 40)") == 3


# ----- the "gis-geo" server: radius and member searches -----------------------------

NYC = [
    ("lic market", "POINT (-73.9454966 40.747533)"),
    ("central park n/q/r", "POINT (-73.9733487 40.7648057)"),
    ("union square", "POINT (-73.9903085 40.7362513)"),
    ("wtc one", "POINT (-74.0131604 40.7126674)"),
    ("jfk", "POINT (-73.7858139 40.6428986)"),
    ("q4", "POINT (-73.9375699 40.7498929)"),
    ("4545", "POINT (-73.9564142 40.7480973)"),
]
CENTER = ("-73.9798091", "40.7598464")


def _nyc(raw):
    assert raw("GIS.ADD", "nyc", *NYC[0]) == i(1)
    assert raw("GIS.ADD", "nyc", *NYC[0]) == i(1)  # update
    assert raw("GIS.ADD", "nyc", *[x for pair in NYC[1:] for x in pair]) == i(6)


def test_radius_searches(raw):
    _nyc(raw)
    assert raw("GIS.SEARCH", "nyc", "radius", *CENTER, "3", "km", "asc", "withoutvalue") == found(
        3, "central park n/q/r", "4545", "union square"
    )
    assert raw("GIS.SEARCH", "nyc", "radius", *CENTER, "3", "km", "asc", "withdist", "withoutvalue") == found(
        3, "central park n/q/r", "0.7749", "4545", "2.3650", "union square", "2.7695"
    )
    assert raw("GIS.SEARCH", "nyc", "radius", *CENTER, "10", "km", "count", "3", "withoutvalue") == found(
        3, "central park n/q/r", "4545", "union square"
    )
    assert raw("GIS.SEARCH", "nyc", "radius", *CENTER, "10", "km", "count") == b"-ERR count need number\r\n"
    assert raw("GIS.SEARCH", "nyc", "radius", *CENTER, "10", "km", "count", "2", "desc", "withoutvalue") == found(
        2, "wtc one", "q4"
    )


def test_radius_huge(raw):
    raw("GIS.ADD", "users", "user_000000", "POINT (-47.271613776683807 -54.534504198047678)")
    assert raw("GIS.SEARCH", "users", "radius", "0", "0", "50000", "km", "withoutvalue") == found(1, "user_000000")


def test_member_searches(raw):
    _nyc(raw)
    assert raw("GIS.SEARCH", "nyc", "member", "wtc one", "7", "km", "asc", "withoutvalue") == found(
        5, "wtc one", "union square", "4545", "central park n/q/r", "lic market"
    )
    assert raw("GIS.SEARCH", "nyc", "member", "wtc one", "7", "km", "asc", "withdist", "withoutvalue") == found(
        5, "wtc one", "0.0000", "union square", "3.2544", "4545", "6.1972",
        "central park n/q/r", "6.6998", "lic market", "6.8967",
    )
