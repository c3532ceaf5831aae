"""SCAN ... TYPE and TYPE agree on every key, and tools that look for Tair modules find them.

Through the proxy a Tair key is of its Tair type (exstrtype, tairhash-, tairzset_, exgistype,
MBbloom--) for TYPE and for SCAN's TYPE filter alike, and of no native type: `SCAN 0 TYPE hash`
does not return TairString/TairHash/TairGis keys (stored as hashes), `TYPE string` does not
return bloom filters. SCAN's cursor and COUNT stay Valkey's. MODULE LIST and INFO's Modules
section list the emulated modules with the names and versions their RedisModule_Init uses.
"""

from __future__ import annotations

from tests.helpers import RawClient

KEYS = {
    "ts": ("exstrtype", ["EXSET", "ts", "v"]),
    "th": ("tairhash-", ["EXHSET", "th", "f", "v"]),
    "tz": ("tairzset_", ["EXZADD", "tz", "1", "a"]),
    "tg": ("exgistype", ["GIS.ADD", "tg", "p", "POINT (1 1)"]),
    "tb": ("MBbloom--", ["BF.ADD", "tb", "x"]),
    "ph": ("hash", ["HSET", "ph", "f", "v"]),
    "ps": ("string", ["SET", "ps", "v"]),
    "pz": ("zset", ["ZADD", "pz", "1", "a"]),
    "pl": ("list", ["RPUSH", "pl", "a"]),
}


def _scan_all(r, kind: str, count: int = 1000) -> set[bytes]:
    cursor, found = 0, set()
    while True:
        cursor, keys = r.scan(cursor, count=count, _type=kind)
        found.update(keys)
        if cursor == 0:
            return found


def test_scan_type_agrees_with_type(r, raw):
    for _, command in KEYS.values():
        raw(*command)
    for key, (kind, _) in KEYS.items():
        assert r.type(key) == kind.encode()
    for kind in {k for k, _ in KEYS.values()}:
        want = {key.encode() for key, (k, _) in KEYS.items() if k == kind}
        assert _scan_all(r, kind) == want, kind
    assert _scan_all(r, "TAIRHASH-") == {b"th"}  # type names match in any case, as Valkey's
    assert _scan_all(r, "STRING") == {b"ps"}
    assert _scan_all(r, "set") == set()


def test_scan_type_keeps_cursor_count_and_match(r, direct):
    for n in range(300):
        r.execute_command("EXHSET", f"t:{n}", "f", "v")
        direct.hset(f"p:{n}", "f", "v")
    # Each call walks COUNT buckets as Valkey's own SCAN does: many calls, partial pages.
    cursor, calls, found = 0, 0, set()
    while True:
        cursor, keys = r.scan(cursor, count=10, _type="tairhash-")
        found.update(keys)
        calls += 1
        if cursor == 0:
            break
    assert found == {b"t:%d" % n for n in range(300)} and calls > 10
    assert _scan_all(r, "hash", count=50) == {b"p:%d" % n for n in range(300)}
    cursor, keys = r.scan(0, match="t:1*", count=10000, _type="tairhash-")
    assert cursor == 0 and set(keys) == {k for k in found if k.startswith(b"t:1")}
    # Without TYPE, SCAN is Valkey's own (Tair keys included).
    assert len(_scan_all(r, None)) == 600


def test_scan_errors_are_valkeys(raw):
    assert raw("SCAN", "0", "TYPE", "bogus") == b"-ERR unknown type name 'bogus'\r\n"
    assert raw("SCAN", "x", "TYPE", "tairhash-") == b"-ERR invalid cursor\r\n"
    assert raw("SCAN", "0", "COUNT", "0", "TYPE", "exstrtype") == b"-ERR syntax error\r\n"
    assert raw("SCAN", "0", "TYPE") == b"-ERR syntax error\r\n"


def test_module_list_and_info_modules(r, raw, direct):
    valkey_modules = {m[b"name"] for m in direct.module_list()}
    listed = {m[b"name"]: m[b"ver"] for m in r.module_list()}
    assert valkey_modules <= set(listed)  # Valkey's own stay
    for name, ver in [(b"exstrtype", 1), (b"tairhash", 1), (b"tairzset", 1), (b"exgistype", 1), (b"bf", 10001)]:
        assert listed[name] == ver
    for args in (["INFO"], ["INFO", "modules"], ["INFO", "all"], ["INFO", "everything"], ["INFO", "default"],
                 ["INFO", "server", "MODULES"]):
        reply = raw(*args)
        assert b"module:name=tairhash,ver=1,api=1,filters=0,usedby=[],using=[],options=[]\r\n" in reply, args
    parsed = {m["name"]: m["ver"] for m in r.info("modules")["modules"]}  # redis-py parses it
    assert parsed["tairzset"] == 1 and parsed["bf"] == 10001
    # Sections that are not ours stay byte for byte Valkey's.
    for section in ("server", "keyspace", "memory", "errorstats"):
        ours, theirs = raw("INFO", section), _direct_raw(direct, "INFO", section)
        assert ours.split(b"\r\n", 1)[0][1:].isdigit() and b"module:" not in ours
        if section in ("keyspace", "errorstats"):
            assert ours == theirs
    modules_section = raw("INFO", "modules").split(b"\r\n", 1)[1]
    assert modules_section.startswith(b"# Modules\r\n")
    assert raw("INFO", "bogus") == _direct_raw(direct, "INFO", "bogus")
    assert raw("MODULE", "HELP").startswith(b"*")
    assert raw("MODULE", "LIST", "x") == _direct_raw(direct, "MODULE", "LIST", "x")


def _direct_raw(direct, *args: str) -> bytes:
    client = RawClient(direct.connection_pool.connection_kwargs["port"])
    try:
        return client(*args)
    finally:
        client.close()


def test_module_list_and_info_in_resp3(proxy):
    client = RawClient(proxy.port)
    client("HELLO", "3")
    reply = client("MODULE", "LIST")
    # RESP3: one map per module, ours shaped as Valkey's.
    assert b"%4\r\n$4\r\nname\r\n$8\r\ntairhash\r\n$3\r\nver\r\n:1\r\n$4\r\npath\r\n" in reply
    assert b"module:name=tairzset,ver=1," in client("INFO", "modules")
    client.close()
