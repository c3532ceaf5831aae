"""TairDoc commands through the proxy, byte for byte: every command, its options and errors,
in the module's order (tairdoc.c), with cJSON's patch semantics and path quirks."""

from __future__ import annotations

import json
import random

import pytest

from tests.replies import NIL, OK, SYNTAX, WRONGTYPE, arity, bulk, bulks, i

NOT_FOUND = b"-ERR pointer illegal or array index error or object type is not array or map\r\n"
PATH_FAIL = b"-ERR json path to json pointer fail\r\n"
ILLEGAL = b"-ERR JSONPointer or JSONPath illegal\r\n"
NO_KEY = b"-ERR no such key\r\n"
NOT_NUMBER = b"-ERR node not exists or not number type\r\n"
NOT_STRING = b"-ERR node not exists or not string type\r\n"
NOT_ARRAY = b"-ERR node not exists or not array type\r\n"
NAN = b"-ERR increment would produce NaN or Infinity\r\n"
OUTFLOW = b"-ERR array index outflow\r\n"
RANGE = b"-ERR value is not an integer or out of range\r\n"
NEW_NOT_ROOT = b"-ERR new objects must be created at the root\r\n"
NO_PARENT = b"-ERR could not find object to add, please check path\r\n"
INSERT_INDEX = b"-ERR insert item in array error, index error\r\n"
ARRAY_INDEX = b"-ERR array index error\r\n"
OLD_NULL = b"-ERR old item is null for remove or replace\r\n"


def lexer(rest: str | bytes) -> bytes:
    if isinstance(rest, str):
        rest = rest.encode()
    return b"-ERR json lexer error at position '" + rest + b"'\r\n"


@pytest.fixture
def doc(raw):
    assert raw("JSON.SET", "d", ".", '{"a":1,"s":"str","arr":[1,2,3],"o":{"x":{"y":true}},"n":null}') == OK
    return raw


# ----------------------------------------------------------------------------- JSON.SET


def test_set_new_key_only_at_the_root(raw):
    for root in (".", "$", ""):
        raw("DEL", "k")
        assert raw("JSON.SET", "k", root, "[1]") == OK
    assert raw("JSON.SET", "n", "/a", "1") == NEW_NOT_ROOT
    assert raw("JSON.SET", "n", ".a", "1") == NEW_NOT_ROOT
    assert raw("EXISTS", "n") == i(0)
    assert raw("JSON.SET", "n", ".", "{bad") == lexer("ad")  # the value is parsed before the root check


def test_set_nx_xx(raw):
    assert raw("JSON.SET", "k", ".", "1", "XX") == NIL
    assert raw("JSON.SET", "k", ".", "1", "nx") == OK
    assert raw("JSON.SET", "k", ".", "2", "Nx") == NIL
    assert raw("JSON.SET", "k", ".", "2", "xX") == OK
    assert raw("JSON.GET", "k") == bulk("2")
    assert raw("JSON.SET", "o", ".", '{"a":1}') == OK
    assert raw("JSON.SET", "o", "/a", "5", "NX") == NIL
    assert raw("JSON.SET", "o", "/b", "5", "XX") == NIL
    assert raw("JSON.SET", "o", "/b", "5", "NX") == OK
    assert raw("JSON.SET", "o", "/a", "6", "XX") == OK
    assert raw("JSON.GET", "o") == bulk('{"b":5,"a":6}')


def test_set_argument_order(raw):
    assert raw("JSON.SET", "k", ".", "1", "XY") == SYNTAX
    assert raw("JSON.SET", "k", "[x", "1", "XY") == PATH_FAIL  # the path comes first
    assert raw("SET", "plain", "v") == OK
    assert raw("JSON.SET", "plain", ".", "1", "NXX") == SYNTAX  # before the key type
    assert raw("JSON.SET", "plain", "[x", "1") == PATH_FAIL
    assert raw("JSON.SET", "plain", ".", "{bad") == WRONGTYPE
    assert raw("JSON.SET", "k", ".") == arity("json.set")
    assert raw("JSON.SET", "k", ".", "1", "NX", "XX") == arity("json.set")


def test_set_replaces_objects_members_at_the_end_and_array_items_in_place(doc):
    assert doc("JSON.SET", "d", "/a", "10") == OK
    assert doc("JSON.SET", "d", "/arr/1", '"x"') == OK
    assert doc("JSON.SET", "d", "/o/new", "[]") == OK
    assert doc("JSON.GET", "d") == bulk('{"s":"str","arr":[1,"x",3],"o":{"x":{"y":true},"new":[]},"n":null,"a":10}')


def test_set_array_positions(raw):
    raw("JSON.SET", "k", ".", "[0,1,2]")
    assert raw("JSON.SET", "k", "/-", "9") == OK  # append
    assert raw("JSON.SET", "k", "/4", "8") == OK  # the index after the last appends
    assert raw("JSON.SET", "k", "/9", "7") == INSERT_INDEX
    assert raw("JSON.SET", "k", "/01", "7") == ARRAY_INDEX
    assert raw("JSON.SET", "k", "/x", "7") == ARRAY_INDEX
    assert raw("JSON.SET", "k", "/0", '"first"') == OK
    assert raw("JSON.GET", "k") == bulk('["first",1,2,9,8]')


def test_set_errors_of_the_patch(doc):
    assert doc("JSON.SET", "d", "/s/x", "1") == NO_PARENT
    assert doc("JSON.SET", "d", "/missing/x", "1") == NO_PARENT
    assert doc("JSON.SET", "d", "a", "1") == OLD_NULL  # a pointer without '/' is the root: nothing to detach
    assert doc("JSON.SET", "d", "a", "1", "NX") == NIL
    assert doc("JSON.SET", "d", "$.a", "2") == OK  # the pointer '$/a': detaches 'a' from the root
    assert doc("JSON.GET", "d", "/a") == bulk("2")


def test_set_case_insensitive_detach(raw):
    raw("JSON.SET", "k", ".", '{"A":1,"a":2,"b":3}')
    assert raw("JSON.SET", "k", "/a", "5") == OK
    assert raw("JSON.GET", "k") == bulk('{"b":3,"a":5}')
    raw("JSON.SET", "k", ".", '{"d":1,"d":2}')
    assert raw("JSON.GET", "k", "/d") == bulk("1")
    assert raw("JSON.SET", "k", "/d", "3") == OK
    assert raw("JSON.GET", "k") == bulk('{"d":3}')
    # A case twin far back (past what the one-search check looks at), or only deeper down.
    pad = "p" * 5000
    raw("JSON.SET", "k", ".", '{"A":1,"pad":"' + pad + '","a":2,"b":3}')
    assert raw("JSON.SET", "k", "/a", "5") == OK
    assert raw("JSON.GET", "k") == bulk('{"pad":"' + pad + '","b":3,"a":5}')
    raw("JSON.SET", "k", ".", '{"x":{"A":0,"a":0},"a":1,"b":2}')
    assert raw("JSON.SET", "k", "/a", "5") == OK
    assert raw("JSON.GET", "k") == bulk('{"x":{"A":0,"a":0},"b":2,"a":5}')


def test_set_escaped_pointer_names(raw):
    raw("JSON.SET", "k", ".", '{"t~x":1,"s/y":2}')
    assert raw("JSON.GET", "k", "/t~0x") == bulk("1")
    assert raw("JSON.GET", "k", "/s~1y") == bulk("2")
    assert raw("JSON.SET", "k", "/s~1y", "5") == OLD_NULL  # cJSON decodes the last token wrongly
    assert raw("JSON.SET", "k", "/n~1z", "6") == OK
    assert raw("JSON.SET", "k", "/m~0zz", "7") == OK
    assert raw("JSON.GET", "k") == bulk('{"t~x":1,"s/y":2,"n~/":6,"m~0z":7}')


def test_set_empty_member_name(doc):
    assert doc("JSON.SET", "d", "/", '"e"') == OK
    assert doc("JSON.GET", "d", "/") == bulk('"e"')
    assert doc("JSON.SET", "d", "/o/", "1") == OK
    assert doc("JSON.GET", "d", "/o") == bulk('{"x":{"y":true},"":1}')


def test_set_value_parse_errors(raw):
    raw("JSON.SET", "k", ".", "{}")
    cases = {
        "": "", "{": "", "[1,2": "", "[1,]": "]", '{"a":1,}': "", "[1 2]": "2]", "nul": "nul",
        "truex": "x", "NaN": "NaN", "-inf": "-inf", "+1": "+1", ".5": ".5", "0x10": "x10", "--1": "--1",
        "'abc'": "'abc'", '"abc': "abc", '"\\x"': '\\x"', '"\\udc00"': '\\udc00"', '"\\ud800x"': '\\ud800x"',
        '"\\u12"': '\\u12"', "1,2": ",2", "null null": "null", "{bad": "ad", '{"a" 1}': "1}", "/* c */1": "/* c */1",
    }
    for value, rest in cases.items():
        assert raw("JSON.SET", "k", "/v", value) == lexer(rest), value
    assert raw("JSON.GET", "k") == bulk("{}")


def test_set_value_nesting_limit(raw):
    assert raw("JSON.SET", "k", ".", "[" * 1000 + "]" * 1000) == OK
    assert raw("JSON.SET", "k", ".", "[" * 1001 + "]" * 1001) == lexer("[" + "]" * 1001)
    assert raw("JSON.ARRLEN", "k", "/0/0/0") == i(1)


# ----------------------------------------------------------------------------- JSON.GET


def test_get_path_forms(doc):
    assert doc("JSON.GET", "d", "/o/x") == bulk('{"y":true}')
    assert doc("JSON.GET", "d", ".o.x.y") == bulk("true")
    assert doc("JSON.GET", "d", ".arr[2]") == bulk("3")
    assert doc("JSON.GET", "d", "['o']['x']") == bulk('{"y":true}')
    assert doc("JSON.GET", "d", "$.arr[0]") == bulk("[1]")
    assert doc("JSON.GET", "d", "$['s']") == bulk('["str"]')
    assert doc("JSON.GET", "d", "$.nope") == bulk("[]")
    assert doc("JSON.GET", "d", "$.arr[-1]") == bulk("[3]")
    whole = '{"a":1,"s":"str","arr":[1,2,3],"o":{"x":{"y":true}},"n":null}'
    for root in (".", "", None):
        assert doc(*(["JSON.GET", "d"] + ([root] if root is not None else []))) == bulk(whole)
    assert doc("JSON.GET", "d", "$") == bulk("[" + whole + "]")
    assert doc("JSON.GET", "d", ".", "FORMAT", "XML") == bulk(whole)  # this module has no options


def test_get_errors(doc):
    assert doc("JSON.GET", "d", "x") == ILLEGAL
    assert doc("JSON.GET", "d", "[x]") == PATH_FAIL
    assert doc("JSON.GET", "d", "[]") == PATH_FAIL
    assert doc("JSON.GET", "d", "/nope") == NOT_FOUND
    assert doc("JSON.GET", "d", "/arr/01") == NOT_FOUND
    assert doc("JSON.GET", "d", "/arr/-1") == NOT_FOUND
    assert doc("JSON.GET", "d", "/arr/1a") == NOT_FOUND  # 'a' counts as a digit: index 59
    assert doc("JSON.GET", "d", ".O") == NOT_FOUND  # names are case-sensitive
    assert doc("JSON.GET", "d", "$[?@.a]") == NOT_FOUND  # a JSONPath that does not compile
    assert doc("JSON.GET", "missing", "x") == NIL  # a missing key first
    assert doc("JSON.GET", "d", "/arr/") == bulk("1")  # the empty token is index 0
    assert doc("JSON.GET") == arity("json.get")


def test_get_jsonpath_queries(raw):
    store = ('{"store":{"book":[{"category":"ref","author":"Nigel","title":"A","price":8.95},'
             '{"category":"fic","author":"Evelyn","title":"B","price":12.99,"isbn":"1"},'
             '{"category":"fic","author":"Herman","title":"C","price":8.99,"isbn":"2"}],'
             '"bicycle":{"color":"red","price":19.95}},"expensive":10}')
    assert raw("JSON.SET", "k", ".", store) == OK
    q = lambda path: raw("JSON.GET", "k", path)  # noqa: E731
    assert q("$.store.book[*].author") == bulk('["Nigel","Evelyn","Herman"]')
    assert q("$..price") == bulk("[8.95,12.99,8.99,19.95]")
    assert q("$.store..price") == bulk("[8.95,12.99,8.99,19.95]")
    assert q("$..book[?(@.isbn)].title") == bulk('["B","C"]')
    assert q("$.store.book[?(@.price < 10)].title") == bulk('["A","C"]')
    assert q("$.store.book[?(@.price > $.expensive)].title") == bulk('["B"]')
    assert q("$.store.book[?(@.price >= 10)]") == NOT_FOUND  # '>=' reads as '>' then '=10'
    assert q("$.store.book[?(@.category == 'fic' && @.price < 10)].title") == bulk('["C"]')
    assert q("$.store.book[?(@.price < 9 || @.price > 12)].title") == bulk('["B","A","C"]')
    assert q("$.store.book[0:2:1].title") == bulk('["A","B"]')
    assert q("$.store.book[2:0:-1].title") == bulk('["C","B"]')
    assert q("$.store.book[0,2].title") == bulk('["A","C"]')
    assert q("$.store.book[0:2]") == NOT_FOUND  # slices need three parts
    assert q("$.store.bicycle.*") == bulk('["red",19.95]')
    assert q("$.store.book[0]..*") == bulk('["ref","Nigel","A",8.95,"fic","Evelyn","B",12.99,"1",'
                                          '"fic","Herman","C",8.99,"2"]')  # '..' goes on to the siblings
    assert q("$..[0]") == bulk("[]")


# ----------------------------------------------------------------------------- TYPE, DEL, STR*, INCR*


def test_type(doc):
    expected = {"/a": "number", "/s": "string", "/arr": "array", "/o": "object", "/o/x/y": "boolean", "/n": "null"}
    for path, name in expected.items():
        assert doc("JSON.TYPE", "d", path) == bulk(name)
    assert doc("JSON.TYPE", "d") == bulk("object")
    assert doc("JSON.TYPE", "d", "/nope") == NIL
    assert doc("JSON.TYPE", "d", "$.a") == bulk("object")  # '$/a' does not start with '/': the root
    assert doc("JSON.TYPE", "d", "/a", "extra") == bulk("object")  # more arguments: the root
    assert doc("JSON.TYPE", "d", "[x") == PATH_FAIL
    assert doc("JSON.TYPE", "missing", "[x") == NIL  # the key before the path


def test_del_and_forget(doc):
    assert doc("JSON.DEL", "d", "/a") == i(1)
    assert doc("JSON.FORGET", "d", ".arr[0]") == i(1)
    assert doc("JSON.DEL", "d", "/nope") == OLD_NULL
    assert doc("JSON.DEL", "d", "[x") == PATH_FAIL
    assert doc("JSON.GET", "d") == bulk('{"s":"str","arr":[2,3],"o":{"x":{"y":true}},"n":null}')
    assert doc("JSON.DEL", "missing", "[x") == i(0)
    assert doc("JSON.DEL", "d", "/o/x/y") == i(1)
    assert doc("JSON.GET", "d", "/o") == bulk('{"x":{}}')  # an emptied inner object stays
    assert doc("JSON.DEL", "d", "/s", "extra") == i(1)  # more arguments: the root
    assert doc("EXISTS", "d") == i(0)


def test_del_of_the_last_member_deletes_the_key(raw):
    raw("JSON.SET", "k", ".", '{"A":1,"b":2}')
    assert raw("JSON.DEL", "k", "/a") == i(1)  # case-insensitive removal
    assert raw("JSON.DEL", "k", "/b") == i(1)
    assert raw("EXISTS", "k") == i(0)
    raw("JSON.SET", "k", ".", "{}")
    assert raw("EXISTS", "k") == i(1)  # stored empty, it stays
    assert raw("JSON.DEL", "k", "$") == i(1)
    assert raw("EXISTS", "k") == i(0)


def test_incrby_family(raw):
    raw("JSON.SET", "k", ".", '{"i":1,"f":0.1,"max":2147483647,"big":9007199254740991,"s":"x","inf":1e400}')
    assert raw("JSON.INCRBY", "k", "/i", "41") == bulk("42")
    assert raw("JSON.INCRBYFLOAT", "k", "/f", "0.2") == bulk("0.3")  # 0.30000000000000004, printed %.15g
    assert raw("JSON.NUMINCRBY", "k", "/f", "-0.3") == bulk("5.5511151231257827e-17")  # %.15g would not read back
    assert raw("JSON.INCRBY", "k", "/max", "1") == bulk("2147483648")
    assert raw("JSON.INCRBY", "k", "/big", "1") == bulk("9.00719925474099e+15")
    assert raw("JSON.INCRBY", "k", "/big", "1") == bulk("9.00719925474099e+15")
    assert raw("JSON.INCRBY", "k", "/inf", "1") == NAN
    assert raw("JSON.INCRBYFLOAT", "k", "/f", "inf") == NAN
    assert raw("JSON.INCRBYFLOAT", "k", "/f", "1.7e308") == bulk("1.7e+308")
    assert raw("JSON.INCRBYFLOAT", "k", "/f", "1e308") == NAN
    assert raw("JSON.INCRBY", "k", "/s", "1") == NOT_NUMBER
    assert raw("JSON.INCRBY", "k", "/nope", "1") == NOT_NUMBER
    assert raw("JSON.INCRBY", "k", "/i", "1.5") == RANGE
    assert raw("JSON.INCRBYFLOAT", "k", "/i", "nan") == RANGE
    assert raw("JSON.INCRBYFLOAT", "k", "/i", "1e400") == RANGE
    assert raw("JSON.INCRBYFLOAT", "k", "/i", "0x10") == bulk("58")
    assert raw("JSON.GET", "k", "/inf") == bulk("null")
    assert raw("JSON.TYPE", "k", "/inf") == bulk("number")


def test_incrby_argument_forms(raw):
    assert raw("JSON.INCRBY", "missing", "/a", "x") == RANGE  # the value before the key
    assert raw("JSON.INCRBY", "missing", "/a", "1") == NO_KEY
    raw("JSON.SET", "k", ".", "10")
    assert raw("JSON.INCRBY", "k", "5") == bulk("15")  # key value: the root
    assert raw("JSON.INCRBY", "k", "5", "x", "y") == bulk("20")  # five arguments: argv[2] is the value
    assert raw("JSON.INCRBY", "k", "/a", "1", "2") == RANGE
    assert raw("JSON.INCRBY", "k", "[x", "1") == PATH_FAIL
    assert raw("JSON.INCRBY", "k") == arity("json.incrby")


def test_strlen_and_strappend(raw):
    raw("JSON.SET", "k", ".", '{"s":"ab","u":"\\u65e5\\u672c","q":"q\\"{}"}')
    assert raw("JSON.STRLEN", "k", "/s") == i(2)
    assert raw("JSON.STRLEN", "k", "/u") == i(6)  # bytes of the UTF-8
    assert raw("JSON.STRAPPEND", "k", "/s", 'c"d\n') == i(6)
    assert raw("JSON.GET", "k", "/s") == bulk('"abc\\"d\\n"')
    assert raw("JSON.STRLEN", "k", "/s") == i(6)
    assert raw("JSON.STRAPPEND", "k", "/s", b"e\x00f") == i(9)  # the reply counts every byte...
    assert raw("JSON.STRLEN", "k", "/s") == i(7)  # ...the string keeps those before the NUL
    assert raw("JSON.STRAPPEND", "k", "/s", "") == i(7)
    assert raw("JSON.STRLEN", "k", "/q") == i(4)
    assert raw("JSON.STRAPPEND", "k", "/q", "]") == i(5)
    assert raw("JSON.GET", "k", "/q") == bulk('"q\\"{}]"')
    assert raw("JSON.STRLEN", "k", "/nope") == NOT_STRING
    assert raw("JSON.STRAPPEND", "k", "/q", "x", "y") == NOT_STRING  # five arguments: the root, "x"
    assert raw("JSON.STRLEN", "missing") == i(-1)
    assert raw("JSON.STRAPPEND", "missing", "/s", "x") == i(-1)
    raw("JSON.SET", "r", ".", '"abc"')
    assert raw("JSON.STRAPPEND", "r", "/x", "y", "z") == i(5)  # appends argv[2] to the root
    assert raw("JSON.GET", "r") == bulk('"abc/x"')


# ----------------------------------------------------------------------------- arrays


def test_arrlen_and_arrpush(doc):
    assert doc("JSON.ARRLEN", "d", "/arr") == i(3)
    assert doc("JSON.ARRLEN", "d", "/o") == NOT_ARRAY
    assert doc("JSON.ARRLEN", "missing") == i(-1)
    assert doc("JSON.ARRPUSH", "d", "/arr", "4", '{"five":5}') == i(5)
    assert doc("JSON.ARRAPPEND", "d", ".arr", "null", "0x10", "true") == lexer("x10")  # keeps what came before
    assert doc("JSON.GET", "d", "/arr") == bulk('[1,2,3,4,{"five":5},null]')
    assert doc("JSON.ARRPUSH", "d", "/s", "1") == NOT_ARRAY
    assert doc("JSON.ARRPUSH", "missing", "/s", "1") == i(-1)
    assert doc("JSON.ARRPUSH", "d", "/arr") == arity("json.arrpush")


def test_long_arrays_are_counted_right(raw):
    """Long arrays are counted by their top-level commas: strings holding commas, quotes and
    brackets, and nested containers with commas of their own, must not count."""
    rnd = random.Random(3)
    shapes = [1, -2.5, "a,b", 'q"[,]{', "", True, None, [1, [2, 3], {"k": [4, 5]}], {"x": "y,z", "w": [6, 7]}, []]
    items = [rnd.choice(shapes) for _ in range(300)]
    raw("JSON.SET", "k", ".", json.dumps({"a": items}))
    assert raw("JSON.ARRLEN", "k", "/a") == i(300)
    assert raw("JSON.ARRAPPEND", "k", "/a", '"x,]"', "[1,2]") == i(302)
    assert raw("JSON.ARRPOP", "k", "/a") == bulk("[1,2]")
    assert raw("JSON.ARRLEN", "k", "/a") == i(301)
    assert raw("JSON.ARRINSERT", "k", "/a", "0", "{}") == i(302)
    for n in (1, 2, 5, 40):  # around the length where counting replaces walking
        raw("JSON.SET", "k", ".", json.dumps(items[:n]))
        assert raw("JSON.ARRLEN", "k", ".") == i(n)


def test_arrinsert(raw):
    raw("JSON.SET", "k", ".", "[]")
    assert raw("JSON.ARRINSERT", "k", ".", "0", "1", "2") == i(2)
    assert raw("JSON.ARRINSERT", "k", ".", "-1", '"x"') == i(3)
    assert raw("JSON.ARRINSERT", "k", ".", "3", "9") == i(4)
    assert raw("JSON.ARRINSERT", "k", ".", "5", "9") == OUTFLOW
    assert raw("JSON.ARRINSERT", "k", ".", "-5", "9") == OUTFLOW
    assert raw("JSON.ARRINSERT", "k", ".", "1.5", "9") == RANGE
    assert raw("JSON.ARRINSERT", "k", "/0", "x", "9") == NOT_ARRAY  # the path before the index
    assert raw("JSON.ARRINSERT", "k", ".", "0", "7", "{") == lexer("")
    assert raw("JSON.GET", "k") == bulk('[7,1,"x",2,9]')
    assert raw("JSON.ARRINSERT", "k", ".", "0") == arity("json.arrinsert")


def test_arrpop(raw):
    raw("JSON.SET", "k", ".", '[[1,{"a":"b"}],2,3]')
    assert raw("JSON.ARRPOP", "k", ".") == bulk("3")
    assert raw("JSON.ARRPOP", "k", ".", "0") == bulk('[1,{"a":"b"}]')
    assert raw("JSON.ARRPOP", "k", ".", "5") == OUTFLOW
    assert raw("JSON.ARRPOP", "k", ".", "x") == RANGE
    assert raw("JSON.ARRPOP", "k", ".", "-1", "ignored") == bulk("2")
    assert raw("EXISTS", "k") == i(0)  # the emptied root array goes with its key
    assert raw("JSON.ARRPOP", "k", ".") == NO_KEY
    raw("JSON.SET", "k", ".", "[]")
    assert raw("JSON.ARRPOP", "k", ".") == OUTFLOW


def test_arrtrim(raw):
    raw("JSON.SET", "k", ".", '{"a":[0,1,2,3,4,5]}')
    assert raw("JSON.ARRTRIM", "k", "/a", "1", "4") == i(4)
    assert raw("JSON.GET", "k") == bulk('{"a":[1,2,3,4]}')
    for start, stop in (("-1", "2"), ("2", "1"), ("0", "4"), ("4", "4")):
        assert raw("JSON.ARRTRIM", "k", "/a", start, stop) == OUTFLOW
    assert raw("JSON.ARRTRIM", "k", "/a", "0", "x") == RANGE
    assert raw("JSON.ARRTRIM", "k", "/a", "0", "3") == i(4)
    assert raw("JSON.ARRTRIM", "missing", "/a", "0", "3") == i(-1)
    assert raw("JSON.ARRTRIM", "k", "/a", "0") == arity("json.arrtrim")


def test_mget(raw):
    raw("JSON.SET", "d1", ".", '{"a":1,"b":[1,2]}')
    raw("JSON.SET", "d2", ".", "[10]")
    raw("SET", "s", "v")
    assert raw("JSON.MGET", "d1", "d2", "s", "missing", "/a") == b"*4\r\n" + bulk("1") + NIL + NIL + NIL
    assert raw("JSON.MGET", "d1", "d2", "$.b") == bulks('{"a":1,"b":[1,2]}', "[10]")  # '$/b': the roots
    assert raw("JSON.MGET", "d1", ".b[1]") == bulks("2")
    assert raw("JSON.MGET", "missing", "[x") == PATH_FAIL
    assert raw("JSON.MGET", "d1") == arity("json.mget")


# ----------------------------------------------------------------------------- EXJSON*


def test_exjson_twins_read_dollar_paths(raw):
    assert raw("EXJSONSET", "user", "$", '{"name":"Alice","scores":[95,87,92]}') == OK
    assert raw("EXJSONGET", "user", "$.name") == bulk('["Alice"]')
    assert raw("EXJSONARRAYAPPEND", "user", "$.scores", "88") == i(4)
    assert raw("EXJSONARRLEN", "user", "$.scores") == i(4)
    assert raw("EXJSONNUMINCRBY", "user", "$.scores[0]", "5") == bulk("100")
    assert raw("EXJSONINCRBY", "user", "$.scores[-1]", "2") == bulk("90")
    assert raw("EXJSONSET", "user", "$.tags", '["a"]') == OK
    assert raw("EXJSONARRPUSH", "user", "$['tags']", '"b"') == i(2)
    assert raw("EXJSONTYPE", "user", "$.tags") == bulk("array")
    assert raw("EXJSONSTRAPPEND", "user", "$.name", "!") == i(6)
    assert raw("EXJSONSTRLEN", "user", "$.name") == i(6)
    assert raw("EXJSONARRPOP", "user", "$.tags") == bulk('"b"')
    assert raw("EXJSONARRINSERT", "user", "$.tags", "0", '"z"') == i(2)
    assert raw("EXJSONARRTRIM", "user", "$.tags", "1", "1") == i(1)
    assert raw("EXJSONDEL", "user", "$.tags") == i(1)
    assert raw("EXJSONGET", "user") == bulk('{"name":"Alice!","scores":[100,87,92,90]}')
    assert raw("EXJSONMGET", "user", "nobody", "$.scores[*]") == b"*2\r\n" + bulk("[100,87,92,90]") + NIL
    assert raw("EXJSONMGET", "user", "$.name") == bulks('["Alice!"]')
    assert raw("EXJSONARRLEN", "user", "$..scores") == ILLEGAL  # no single node
    assert raw("EXJSONFORGET", "user", ".name") == i(1)  # the module's other path forms still work
    assert raw("EXJSONSET", "user") == arity("exjsonset")
