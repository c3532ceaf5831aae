"""COMMAND and TYPE through the proxy know the Tair commands and keys (one table drives all)."""

from __future__ import annotations

from tairproxy.modules import tair_commands
from tairproxy.resp import parse_reply
from tests.helpers import RawClient

TAIR = sorted(c.name.lower().encode() for c in tair_commands())


def _value(reply: bytes):
    return parse_reply(reply)[0]


def test_command_lists_tair_commands_with_key_positions(raw, valkey_url):
    entries = {e[0]: e for e in _value(raw("COMMAND"))}
    native = _value(RawClient(int(valkey_url.rsplit(":", 1)[1]))("COMMAND"))
    assert len(entries) == len(native) + len(TAIR)
    exset = entries[b"exset"]
    assert exset[1] == -1 and exset[3:6] == [1, 1, 1]
    assert set(exset[2]) == {b"write", b"denyoom", b"module"}
    assert set(entries[b"exget"][2]) == {b"readonly", b"fast", b"module"}
    assert entries[b"get"][1] == 2  # native entries untouched


def test_command_info_count_list_getkeys(raw):
    info = _value(raw("COMMAND", "INFO", "EXSET", "get", "nosuch"))
    assert info[0][0] == b"exset" and info[1][0] == b"get" and info[2] is None
    count = _value(raw("COMMAND", "COUNT"))
    assert count == len(_value(raw("COMMAND")))
    names = _value(raw("COMMAND", "LIST"))
    assert set(TAIR) <= set(names) and b"set" in names
    assert raw("COMMAND", "GETKEYS", "EXSET", "k1", "v") == b"*1\r\n$2\r\nk1\r\n"
    assert raw("COMMAND", "GETKEYS", "SET", "k2", "v") == b"*1\r\n$2\r\nk2\r\n"
    assert raw("COMMAND", "GETKEYS", "EXSET", "k1") == b"-ERR Invalid arguments specified for command\r\n"


def test_command_docs_passes_through(raw):
    assert raw("COMMAND", "DOCS", "get").startswith(b"*2\r\n$3\r\nget\r\n")


def test_type_names(raw):
    raw("EXSET", "ts", "v")
    raw("SET", "plain", "v")
    raw("HSET", "h", "f", "v")
    assert raw("TYPE", "ts") == b"+exstrtype\r\n"
    assert raw("TYPE", "plain") == b"+string\r\n"
    assert raw("TYPE", "h") == b"+hash\r\n"
    assert raw("TYPE", "missing") == b"+none\r\n"
    assert raw("TYPE") == b"-ERR wrong number of arguments for 'type' command\r\n"


def test_movable_keys_are_found_per_call(raw):
    info = _value(raw("COMMAND", "INFO", "GISWITHIN"))[0]
    assert b"movablekeys" in info[2]
    assert raw("COMMAND", "GETKEYS", "GISWITHIN", "zones", "points") == b"*2\r\n$5\r\nzones\r\n$6\r\npoints\r\n"
    assert raw("COMMAND", "GETKEYS", "GISWITHIN", "zones", "POINT (1 2)") == b"*1\r\n$5\r\nzones\r\n"
