"""The TairDoc codec: documents go in through cJSON's parser and come back as cJSON prints
them (numbers, escapes, member order), whatever part of them is read; plus the proxy-side
half (the stored form read back in Python, cJSON's number printing, the JSONPath compiler)."""

from __future__ import annotations

import json
import math
import random
import struct

import pytest

from tairproxy.modules import tairdoc
from tairproxy.modules import tairdoc_jsonpath as jp
from tests.replies import OK, bulk

# (document as sent, as cJSON prints it)
DOCUMENTS = [
    ("-0", "0"),
    ("-0.0", "0"),
    ("1e300", "1e+300"),
    ("1.5e300", "1.5e+300"),
    ("0.1", "0.1"),
    ("0.30000000000000004", "0.3"),  # %.15g reads back within DBL_EPSILON
    ("12345.678901234567", "12345.678901234567"),  # it does not: %.17g
    ("2147483647", "2147483647"),
    ("2147483648", "2147483648"),
    ("-2147483648", "-2147483648"),
    ("-2147483649", "-2147483649"),
    ("9007199254740993", "9.00719925474099e+15"),
    ("123456789012345678", "1.2345678901234568e+17"),
    ("9223372036854775807", "9.2233720368547758e+18"),
    ("1e400", "null"),
    ("-1e400", "null"),
    ("1e-400", "0"),
    ("5e-324", "4.94065645841247e-324"),
    ("7.0e0", "7"),
    ("1E-3", "0.001"),
    ("-3e-5", "-3e-05"),
    ("1e21", "1e+21"),
    ("2.5e+2", "250"),
    ("100.0", "100"),
    ("1.", "1"),
    ("-.5", "-0.5"),
    ("007", "7"),
    ('"\\u65E5\\u672c\\u8A9E"', '"日本語"'),
    ('"\\ud83d\\ude00"', '"\U0001f600"'),
    ('"tab\\u0009here\\u0001\\u001f"', '"tab\\there\\u0001\\u001f"'),
    ('"\\b\\f\\n\\r\\t\\/\\\\\\""', '"\\b\\f\\n\\r\\t/\\\\\\""'),
    ('"x\\u0000y"', '"x"'),  # a NUL ends the C string
    ('"x\\uzzzzy"', '"x"'),  # an invalid hex escape is a NUL as well
    ('"\x7f\xff\xc3\xa9"', '"\x7f\xff\xc3\xa9"'),  # other bytes as they are
    ('"raw\x01\x1fctl"', '"raw\\u0001\\u001fctl"'),
    ('"{[brackets]} and \\"quotes\\""', '"{[brackets]} and \\"quotes\\""'),
    ('{ "b" : 1 , "a" : [ true , false , null ] }', '{"b":1,"a":[true,false,null]}'),
    ('{"d":1,"d":2}', '{"d":1,"d":2}'),
    ("\n\t [\x01 1 \x1f]  ", "[1]"),  # every byte up to 32 is whitespace
    ("\xef\xbb\xbf[1]", "[1]"),  # a UTF-8 BOM is skipped
    ('[1.5,"a]{",{"k}":[{}]},[[]]]', '[1.5,"a]{",{"k}":[{}]},[[]]]'),
]


def _b(s: str) -> bytes:
    return s.encode("latin-1") if all(ord(c) < 256 for c in s) else s.encode()


@pytest.mark.parametrize("sent,printed", DOCUMENTS)
def test_documents_print_as_cjson_prints_them(raw, sent, printed):
    assert raw("JSON.SET", "k", ".", _b(sent)) == OK
    assert raw("JSON.GET", "k") == bulk(_b(printed))
    assert raw("JSON.GET", "k", "$") == bulk(b"[" + _b(printed) + b"]")
    assert raw("JSON.MGET", "k", ".") == b"*1\r\n" + bulk(_b(printed))
    if sent.startswith("\xef"):
        return  # a BOM is skipped at the start only
    # inside containers, read back through every path form
    assert raw("JSON.SET", "k", ".", b'{"v":[' + _b(sent) + b"]}") == OK
    assert raw("JSON.GET", "k", "/v/0") == bulk(_b(printed))
    assert raw("JSON.GET", "k", "$.v[0]") == bulk(b"[" + _b(printed) + b"]")
    assert raw("JSON.GET", "k", "$.v[*]") == bulk(b"[" + _b(printed) + b"]")
    assert raw("JSON.ARRPOP", "k", "/v") == bulk(_b(printed))


PLAIN_VALUES = ["21.5", "-21.5", "0", "-0", "007", "1.", "10.0", "0.5", "-0.25", "0.10", "0.0001", "0.00001",
                "123456789", "1234567890", "2147483648", "-2147483649", "9007199254740993",
                "12345678901234.5", "123456789012345.5", "0.123456789012345", "0.1234567890123456",
                "0.30000000000000004", "12345.678901234567", "1" * 63, "1" * 64, "true", "false", "null",
                '""', '"plain text"', '"caf\xc3\xa9"', '"\x7f"']


@pytest.mark.parametrize("value", PLAIN_VALUES)
def test_plain_values_are_stored_as_the_parser_stores_them(raw, value):
    """A plain scalar skips the parser (Lua's calls are dear): a value that has to be
    parsed (whitespace around it) must end up exactly the same, exact double included."""
    raw("JSON.SET", "k", ".", '{"a":{}}')
    if len(value) > 63:  # parse_number reads 63 bytes at most: the rest is junk
        assert raw("JSON.SET", "k", "/a/fast", _b(value)) == b"-ERR json lexer error at position '1'\r\n"
        return
    assert raw("JSON.SET", "k", "/a/fast", _b(value)) == OK
    assert raw("JSON.SET", "k", "/a/parsed", _b(" " + value + " ")) == OK
    fast, parsed = raw("JSON.GET", "k", "/a/fast"), raw("JSON.GET", "k", "/a/parsed")
    assert fast == parsed
    if value[0].isdigit() or value[0] == "-":
        assert raw("JSON.INCRBYFLOAT", "k", "/a/fast", "-0.3") == raw("JSON.INCRBYFLOAT", "k", "/a/parsed", "-0.3")
        assert raw("JSON.GET", "k", "/a/fast") == raw("JSON.GET", "k", "/a/parsed")


def test_plain_pointers_find_what_escaped_ones_find(raw):
    """Pointers without escapes or marked bytes compare member names as they are; the others
    go the long way. Both must address the same members, arrays included."""
    doc = '{"a/b":1,"m~n":2,"q\\"x":3,"br{":[4,{"0":5}],"plain":{"1":[6,7],"x":8}}'
    raw("JSON.SET", "k", ".", doc)
    found = {"/a~1b": "1", "/m~0n": "2", '/q"x': "3", "/br{/1/0": "5", "/plain/1/1": "7", "/plain/x": "8"}
    assert {path: raw("JSON.GET", "k", path) for path in found} == {p: bulk(v) for p, v in found.items()}
    for missing in ("/plain/y", "/plain/1/2", "/Plain/x", "/br{/2"):
        assert raw("JSON.GET", "k", missing).startswith(b"-ERR pointer illegal")


def test_lossy_numbers_keep_their_exact_value(raw):
    # cJSON prints 0.30000000000000004 as 0.3 but keeps adding to the exact double
    raw("JSON.SET", "k", ".", "[0.30000000000000004, 0.3, 9007199254740993]")
    assert raw("JSON.INCRBYFLOAT", "k", "/0", "-0.3") == bulk("5.5511151231257827e-17")
    assert raw("JSON.INCRBYFLOAT", "k", "/1", "-0.3") == bulk("0")
    assert raw("JSON.INCRBY", "k", "/2", "1") == bulk("9.00719925474099e+15")  # 2^53 + 1 rounds to 2^53
    assert raw("JSON.INCRBY", "k", "/2", "-1") == bulk("9.00719925474099e+15")
    assert raw("JSON.INCRBY", "k", "/2", "-9007199254740990") == bulk("1")  # exact, though printed %.15g before
    raw("JSON.SET", "f", ".", '{"a":[{"x":0.30000000000000004},{"x":0.3}]}')
    assert raw("JSON.GET", "f", "$.a[?(@.x == 0.3)]") == bulk('[{"x":0.3}]')
    assert raw("JSON.GET", "f", "$.a[?(@.x > 0.3)]") == bulk('[{"x":0.3}]')


def test_random_documents_round_trip(raw):
    """Random documents: what comes back is cJSON's print of them, as far as Python's json
    (same numbers, same escapes for the safe alphabet) can say."""
    rnd = random.Random(7)
    alphabet = 'ab "\\/{}[],:é日\t\n'

    def value(depth: int):
        kind = rnd.randrange(7 if depth < 4 else 4)
        if kind == 0:
            return rnd.choice([True, False, None])
        if kind == 1:
            return rnd.randrange(-(2**31), 2**31)
        if kind == 2:
            return round(rnd.uniform(-1e6, 1e6), rnd.randrange(0, 4))
        if kind == 3:
            return "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(6)))
        if kind in (4, 5):
            return [value(depth + 1) for _ in range(rnd.randrange(4))]
        return {"".join(rnd.choice(alphabet) for _ in range(rnd.randrange(4))): value(depth + 1)
                for _ in range(rnd.randrange(4))}

    for _ in range(60):
        v = value(0)
        text = json.dumps(v, ensure_ascii=False)
        assert raw("JSON.SET", "k", ".", text.encode()) == OK
        got = raw("JSON.GET", "k")
        body = got.split(b"\r\n", 1)[1][:-2]
        assert json.loads(body) == v
        assert body == json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode() or _has_float(v)


def _has_float(v) -> bool:
    if isinstance(v, float):
        return True
    if isinstance(v, list):
        return any(_has_float(x) for x in v)
    return isinstance(v, dict) and any(_has_float(x) for x in v.values())


@pytest.mark.parametrize("d", [0.1, 0.30000000000000004, 1e300, 5e-324, 2147483648.0, -2147483649.5, 1 / 3,
                               123456789012345678.0, 9007199254740993.0, 12345.678901234567])
def test_python_number_print_matches_lua(raw, d):
    assert raw("JSON.SET", "k", ".", repr(d)) == OK
    assert raw("JSON.GET", "k") == bulk(jp.cjson_number(d))


def test_python_number_print_rules():
    assert jp.cjson_number(-0.0) == b"0"
    assert jp.cjson_number(math.inf) == b"null"
    assert jp.cjson_number(2.0**31) == b"2147483648"
    assert jp.cjson_number(0.1 + 0.2) == b"0.3"
    rnd = random.Random(3)
    for _ in range(2000):
        d = struct.unpack("<d", rnd.randbytes(8))[0]
        if math.isfinite(d):
            printed = jp.cjson_number(d)
            back = float(printed)
            assert abs(back - d) <= max(abs(back), abs(d)) * jp.DBL_EPSILON


def test_stored_form_reads_back():
    doc = b'{"a\x02b":[1,\x010.30000000000000004,"x\x03\x05\\n\\u0001\\\\"],"e":{}}'
    root = jp.parse_stored(doc)
    assert [c.key for c in root.children] == [b"a\x02b", b"e"]
    arr = root.children[0]
    assert [c.ctype for c in arr.children] == [jp.NUMBER, jp.NUMBER, jp.STRING]
    assert arr.children[1].number() == 0.30000000000000004
    assert arr.children[2].string() == b"x{[\n\x01\\"
    assert root.text() == b'{"a\\"b":[1,0.3,"x{[\\n\\u0001\\\\"],"e":{}}'
    assert jp.encode_raw(b'x{[\n\x01\\"') == b"x\x03\x05\\n\\u0001\\\\\x02"
    assert jp.decode_body(jp.encode_raw(bytes(range(1, 256)))) == bytes(range(1, 256))


def test_deep_documents_parse_without_recursion():
    depth = 1000
    root = jp.parse_stored(b"[" * depth + b"]" * depth)
    node, levels = root, 1
    while node.children:
        node, levels = node.children[0], levels + 1
    assert levels == depth
    assert len(jp.evaluate(root, jp.compile_selector(b"$..*"))) == depth - 1


def test_only_short_paths_are_remembered():
    """Path readings are cached; a long path is read every time, so unique long paths cannot
    fill the proxy's memory."""
    long_path = b"." + b"x" * (tairdoc.CACHED_PATH_BYTES + 1)
    for read, args in ((tairdoc.get_spec, ()), (tairdoc.pointer_spec, (False,))):
        size = read.cache_info().currsize
        assert read(long_path, *args) == read(long_path, *args)
        assert read.cache_info().currsize == size
        short = b".short%d" % size
        assert read(short, *args) == read(short, *args)
        assert read.cache_info().currsize == size + 1


def test_path_to_pointer():
    cases = {
        b".a.b": b"/a/b", b".a[0]": b"/a/0", b"['a']['b']": b"/a/b", b'["a"]': b"/a", b"[-1]": b"/-1",
        b".": b"", b"$": b"", b"": b"", b"abc": b"abc", b"/x/y": b"/x/y", b"$.a.b": b"$/a/b",
        b".a/b": b"/a/b", b"..a": b"//a", b"[1]x": b"/1x",
    }
    for path, pointer in cases.items():
        assert tairdoc.path_to_pointer(path) == pointer, path
    for bad in (b"[x", b"[", b"['a'", b"['a'x]", b"[1", b"[]"):
        assert tairdoc.path_to_pointer(bad) is None, bad


def test_jsonpath_compiler_accepts_what_the_module_accepts():
    good = [b"$", b"$.a", b"$..a", b"$.*", b"$..*", b"$[0]", b"$[-1]", b"$[+1]", b"$[-]", b"$[*]", b"$[0:2:1]",
            b"$[1,2]", b"$['a']", b"$[?(@.a)]", b"$[?(@.a<1 && @.b)]", b"$[?((@.a<1)||(@.b))]", b"$..[0]"]
    bad = [b"$.", b"$[]", b"$[ 1]", b"$[0:2]", b"$[1,]", b"$[?@.a<1]", b"$[?(@.a>=1)]", b"$[?(@.a<=1)]",
           b"$[?(!@.a)]", b"$['a", b"x", b"$[?(@.a]"]
    for path in good:
        assert jp.compile_selector(path) is not None, path
    for path in bad:
        assert jp.compile_selector(path) is None, path
    assert jp.simple_steps(jp.compile_selector(b"$.a['b'][2][-1]")) == [b"a", b"b", 2, -1]
    assert jp.simple_steps(jp.compile_selector(b"$.a[*]")) is None
