"""TairGis geometry helpers against Tair's own C code: coordinate printing (grisu3, vectors
produced by compiling TairGis's src/spatial/grisu3.c), Tair's WKT grammar, its "center" and
its distances on the sphere (values from tair-py's and tairgis.tcl's expectations)."""

from __future__ import annotations

import math
import random
import struct

import pytest

from tairproxy.modules.tairgis import string2d
from tairproxy.modules.tairgis_geometry import (
    InvalidGeometry,
    circle_ring,
    destination,
    distance,
    format_double,
    parse_geometry,
    radius_bounds,
)

# (IEEE-754 bits in hex, what dtoa_grisu3 prints): shortest digits when grisu3 is sure of
# them, "%.17g" when not (127.575685 prints as 127.57568499999999 on Tair), and its own
# placement of the decimal point and exponent.
GRISU3 = [
    ("405fe4d805e5f30e", "127.57568499999999"),
    ("402f4434e3369b9d", "15.633215999999999"),
    ("c066754b1cc96463", "-179.66541900000001"),
    ("c06206949c6f36f0", "-144.20564100000001"),
    ("c0560e74b407032a", "-88.225873000000007"),
    ("4064d097d6b65a9b", "166.51853500000001"),
    ("3fe0000000000000", ".5"),
    ("3fd0000000000000", "2.5e-1"),
    ("3fa999999999999a", ".05"),
    ("3f747ae147ae147b", ".005"),
    ("3f1a36e2eb1c432d", "1e-4"),
    ("3fb999999999999a", ".1"),
    ("3fd5555555555555", "3.333333333333333e-1"),
    ("3fe5555555555555", "6.666666666666666e-1"),
    ("8000000000000000", "-0"),
    ("0", "0"),
    ("3ff0000000000000", "1"),
    ("40c7700000000000", "12e3"),
    ("4059000000000000", "100"),
    ("408f400000000000", "1e3"),
    ("4030000000000000", "16"),
    ("437b69b4ba630f35", "123456789012345680"),
    ("7fefffffffffffff", "17976931348623157e292"),
    ("1", "5e-324"),
    ("10000000000000", "2.2250738585072014e-308"),
    ("444b1ae4d6e2ef50", "1e21"),
    ("4480f0cf064dd592", "1e22"),
    ("4340000000000000", "9007199254740992"),
    ("405e01cb6c7a7c9e", "120.028041"),
    ("403e49017dae8188", "30.285179"),
    ("c0527c83042bdeab", "-73.9454966"),
    ("40445faf294dd723", "40.747533"),
    ("c047a2c43d800000", "-47.27161377668381"),
    ("c04b446aa2311841", "-54.53450419804768"),
    ("400921fb54442d11", "3.14159265358979"),
    ("3e7ad7f29abcaf48", "1e-7"),
    ("3c36c60b75b99c35", "1.23456e-18"),
    ("41584f6f63e51090", "6372797.560856"),
    ("4164d8399f767c45", "10928588.983213553"),
    ("5bc8fbbcbde5c099", "14186613525849614e118"),
    ("b0c11fdecb91ce37", "-7.571968556055867e-74"),
    ("d76d4330f1446bea", "-14074705188261364e97"),
    ("a6eb8c9ebd69fe29", "-3.3339745473042614e-121"),
    ("87b0b125ec1d7da0", "-1.2342180766211395e-271"),
    ("d7210dff076ce2ef", "-5126864004244935e96"),
    ("c6a5387777330bdb", "-21520217579844227e16"),
    ("3fc1ea36f17fd374", "1.399601630397701e-1"),
    ("d464138a6233255", "1.01853664031722e-244"),
    ("2827688de6a16a3b", "2.9704598186234577e-115"),
    ("5f2dd97f1cfb10f6", "30534183338726823e134"),
]


@pytest.mark.parametrize("bits, text", GRISU3)
def test_format_double_matches_tairs_grisu3(bits, text):
    value = struct.unpack("<d", struct.pack("<Q", int(bits, 16)))[0]
    assert format_double(value) == text.encode()


def test_format_double_round_trips():
    rng = random.Random(1)
    for _ in range(20000):
        value = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(value):
            text = format_double(value).decode()
            assert float(text) == value
            assert len(text.lstrip("-").split("e")[0].replace(".", "").strip("0")) <= 17


@pytest.mark.parametrize("given, printed, center", [
    ("POINT(1 2)", b"POINT(1 2)", (1, 2)),
    ("LINESTRING(0 0,4 2)", b"LINESTRING(0 0,4 2)", (2, 1)),
    ("POLYGON((0 0,4 0,4 4,0 4),(1 1,9 1,9 9))", b"POLYGON((0 0,4 0,4 4,0 4),(1 1,9 1,9 9))", (2, 2)),
    ("POLYGON EMPTY", b"POLYGON()", (0, 0)),
    ("MULTIPOINT(1 1,3 5)", b"MULTIPOINT(1 1,3 5)", (2, 3)),
    ("MULTILINESTRING((2 2,4 4),EMPTY)", None, None),
    ("MULTILINESTRING((2 2,4 4),())", b"MULTILINESTRING((2 2,4 4),())", (2, 2)),
    ("MULTIPOLYGON(((0 0,2 0,2 2)),((10 10,12 10,12 12),(0 0,99 99,0 99)))",
     b"MULTIPOLYGON(((0 0,2 0,2 2)),((10 10,12 10,12 12),(0 0,99 99,0 99)))", (6, 6)),
    ("GEOMETRYCOLLECTION(POINT(4 4),LINESTRING(6 6,8 8))", b"GEOMETRYCOLLECTION(POINT(4 4),LINESTRING(6 6,8 8))",
     (6, 6)),
    ("GEOMETRYCOLLECTION(POINT(4 4),LINESTRING EMPTY)", b"GEOMETRYCOLLECTION(POINT(4 4),LINESTRING())", (2, 2)),
])
def test_wkt_and_center(given, printed, center):
    if printed is None:
        with pytest.raises(InvalidGeometry):
            parse_geometry(given.encode())
        return
    geom = parse_geometry(given.encode())
    assert geom.wkt() == printed
    assert geom.center() == center


def test_distances_match_tair():
    palermo, catania = (13.361389, 38.115556), (15.087269, 37.502669)
    assert f"{distance(catania[1], catania[0], 37, 15) / 1000:.4f}" == "56.4413"
    assert f"{distance(palermo[1], palermo[0], 37, 15) / 1000:.4f}" == "190.4424"
    assert f"{distance(catania[1], catania[0], palermo[1], palermo[0]) / 1000:.4f}" == "166.2743"
    assert f"{distance(catania[1], catania[0], 0, 0):.4f}" == "4449696.2373"
    assert f"{distance(palermo[1], palermo[0], 0, 0):.4f}" == "4454733.1882"
    lat, lon = destination(0, 0, 1000, 0)
    assert lon == 0 and f"{lat:.9f}" == "0.008990679"
    assert radius_bounds(0, 0, 50_000_000)[0] < -47.27 and radius_bounds(0, 0, 50_000_000)[1] < -54.53
    circle = circle_ring(15, 37, 1000)
    assert len(circle) == 13 and circle[0] == circle[-1]


@pytest.mark.parametrize("text, value", [
    (b"1", 1.0), (b"-1.5", -1.5), (b"1e3", 1000.0), (b".5", 0.5), (b"0x10", None), (b"inf", math.inf),
    (b"-Infinity", -math.inf), (b"4.9e-324", 5e-324), (b"", None), (b" 1", None), (b"1 ", None), (b"nan", None),
    (b"1e999", None), (b"1e-999", None), (b"0e-999", 0.0), (b"1,5", None), (b"1_0", None), (b"+2", 2.0),
])
def test_string2d_is_valkeys(text, value):
    assert string2d(text) == value
