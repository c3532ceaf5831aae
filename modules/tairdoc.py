"""TairDoc: JSON documents (JSON.SET, JSON.GET, ...) and their EXJSON* twins.

The truth is tair-opensource/TairDoc (src/tairdoc.c and the cJSON / cJSONUtils it ships).
The module reads most arguments as C strings (cut at the first NUL), converts paths with
its own pathToPointer (`.a[0]` -> `/a/0`; anything not starting with '.', '[' or '$' is
used as a JSON Pointer as is, and a pointer not starting with '/' addresses the root), and
only JSON.GET reads `$` paths as JSONPath. Each handler checks arguments in the module's
order: what it rejects before opening the key is raised here; a path it converts only
after its key checks travels to Lua as an 'E' spec, answered after WRONGTYPE.

The EXJSON* twins (EXJSONSET, EXJSONGET, EXJSONARRAYAPPEND = JSON.ARRAPPEND, ...) behave
as JSON.*, except that every command reads a `$` path as JSON.GET does: a path of member
and index steps (`$.a.b[0]`, `$['a']`, `$.a[-1]`) addresses the node JSON.GET would
return; any other JSONPath (wildcards, filters, ...) addresses no single node and is
refused by the write and scalar commands.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache, wraps

from tairproxy.dispatch import Call, Command, CommandError, wrong_arity
from tairproxy.modules import errors
from tairproxy.modules import tairdoc_jsonpath as jsonpath
from tairproxy.modules.args import parse_double, parse_int64

LUA_FILE = "tairdoc.lua"
# The module this family stands in for, as its RedisModule_Init registers it (MODULE LIST, INFO).
EMULATES = ("tair-json", 1)

PATH_TO_POINTER = "ERR json path to json pointer fail"
PATH_ILLEGAL = "ERR JSONPointer or JSONPath illegal"
NOT_FOUND = "ERR pointer illegal or array index error or object type is not array or map"
NOT_INTEGER = "ERR value is not an integer or out of range"


# Bytes that keep a pointer's tokens from being member names as stored (escapes, bytes the
# stored form marks): the same class as POINTER_UNPLAIN in tairdoc.lua.
_UNPLAIN = re.compile(rb'[~\x01-\x1f"\\{}\[\]]')


def pointer_spec_of(pointer: bytes) -> bytes:
    """'Q' for a pointer whose tokens Lua may compare as stored (a search Lua would make on
    every call, made here once per cached path), else 'P'."""
    return (b"P" if _UNPLAIN.search(pointer) else b"Q") + pointer


def c_string(raw: bytes) -> bytes:
    """What a C string function sees of an argument."""
    end = raw.find(b"\0")
    return raw if end < 0 else raw[:end]


def path_to_pointer(jpa: bytes) -> bytes | None:
    """tairdoc.c's pathToPointer; None where it fails."""
    if jpa[:1] not in (b".", b"[", b"$"):
        return jpa
    if jpa in (b".", b"$"):
        return b""
    if b"[" not in jpa:
        return jpa.replace(b".", b"/")  # what the loop below does to names and dots
    out = bytearray()
    i, n = 0, len(jpa)
    while i < n:
        c = jpa[i]
        if c == 0x2E:  # '.'
            out += b"/"
        elif c == 0x5B:  # '['
            out += b"/"
            j = i + 1
            first = jpa[j] if j < n else 0
            if first in (0x22, 0x27):  # quoted name, up to the next quote of either kind
                j += 1
                while j < n and jpa[j] not in (0x22, 0x27):
                    j += 1
                if j >= n:
                    return None
                out += jpa[i + 2:j]
                i = j + 1
                if (jpa[i] if i < n else 0) != 0x5D:
                    return None
            elif 0x30 <= first <= 0x39 or first == 0x2D:
                while j < n and jpa[j] != 0x5D:
                    j += 1
                if j >= n:
                    return None
                out += jpa[i + 1:j]
                i = j
            else:
                return None
        else:
            j = i + 1
            while j < n and jpa[j] not in (0x2E, 0x5B):
                j += 1
            out += jpa[i:j]
            i = j - 1
        i += 1
    return bytes(out)


def encode_steps(steps: list[bytes | int]) -> bytes:
    """Member and index steps for Lua: k<len>:<name> and i<n>;"""
    return b"".join(b"k%d:%s" % (len(s), s) if isinstance(s, bytes) else b"i%d;" % s for s in steps)


def _jsonpath(path: bytes) -> list[jsonpath.Selector] | None:
    return jsonpath.compile_selector(path)


# Applications address the same few paths again and again: the reading of a short one is
# remembered (a bound on entries and on their size, or unique long paths would fill memory).
CACHED_PATH_BYTES = 256


def _remembered(read):
    """``read(raw_path, ...)`` with the readings of paths up to CACHED_PATH_BYTES cached;
    ``.cache_info()`` as lru_cache's."""
    cached = lru_cache(maxsize=4096)(read)

    @wraps(read)
    def remembered_read(raw_path: bytes, *args):
        if len(raw_path) <= CACHED_PATH_BYTES:
            return cached(raw_path, *args)
        return read(raw_path, *args)

    remembered_read.cache_info = cached.cache_info
    return remembered_read


@_remembered
def pointer_spec(raw_path: bytes, exjson: bool) -> bytes:
    """The spec of a command that converts its path after its key checks."""
    path = c_string(raw_path)
    if exjson and path[:1] == b"$":
        selectors = _jsonpath(path)
        steps = None if selectors is None else jsonpath.simple_steps(selectors)
        if steps is None:
            raise CommandError(PATH_ILLEGAL)
        return b"J" + encode_steps(steps)
    pointer = path_to_pointer(path)
    if pointer is None:
        return b"E" + PATH_TO_POINTER.encode()
    return pointer_spec_of(pointer)


def pointer_spec_now(raw_path: bytes, exjson: bool) -> bytes:
    """JSON.SET and JSON.MGET convert the path before anything else."""
    spec = pointer_spec(raw_path, exjson)
    if spec[:1] == b"E":
        raise CommandError(spec[1:].decode())
    return spec


def _query(selectors: list[jsonpath.Selector]):
    def transform(reply):
        return jsonpath.query(reply, selectors) if isinstance(reply, bytes) else reply

    return transform


@_remembered
def get_spec(raw_path: bytes):
    """JSON.GET's reading of a path: the spec, and the transform of a JSONPath the proxy
    evaluates (None when Lua answers)."""
    path = c_string(raw_path)
    if path[:1] == b"$":
        selectors = _jsonpath(path)
        if selectors is None:
            return b"E" + NOT_FOUND.encode(), None
        steps = jsonpath.simple_steps(selectors)
        if steps is not None:
            return b"S" + encode_steps(steps), None
        return b"X", _query(selectors)
    if path[:1] == b"/" or path == b"":
        return pointer_spec_of(path), None
    if path[:1] in (b".", b"["):
        pointer = path_to_pointer(path)
        if pointer is None:
            return b"E" + PATH_TO_POINTER.encode(), None
        return pointer_spec_of(pointer), None
    return b"E" + PATH_ILLEGAL.encode(), None


def _number_text(value: float) -> bytes:
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    return repr(value).encode()


# ---------------------------------------------------------------------------- handlers
# Each builder takes the command's name (for its arity error) and whether it is an EXJSON
# twin; `args` is the whole command.


def _set(name: str, ex: bool):
    def handler(args: list[bytes]) -> Call:
        if len(args) > 5:
            raise CommandError(wrong_arity(name).decode())
        spec = pointer_spec_now(args[2], ex)
        if len(args) < 5:  # tp_json_set reads a missing nxxx as ''
            return Call("tp_json_set", [args[1]], [spec, c_string(args[3])])
        option = c_string(args[4]).lower()
        if option not in (b"nx", b"xx"):
            raise CommandError(errors.SYNTAX)
        return Call("tp_json_set", [args[1]], [spec, c_string(args[3]), option.upper()])

    return handler


def _get(name: str, ex: bool):
    def handler(args: list[bytes]) -> Call:
        spec, transform = get_spec(args[2]) if len(args) > 2 else (b"P", None)
        return Call("tp_json_get", [args[1]], [spec], readonly=True, transform=transform)

    return handler


def _mget(name: str, ex: bool):
    def handler(args: list[bytes]) -> Call:
        path = c_string(args[-1])
        transform = None
        if ex and path[:1] == b"$":
            spec, query = get_spec(path)
            if spec[:1] == b"E":
                raise CommandError(spec[1:].decode())
            if query is not None:
                transform = lambda reply: [query(doc) for doc in reply]  # noqa: E731
        else:
            spec = pointer_spec_now(path, False)
        return Call("tp_json_mget", args[1:-1], [spec], readonly=True, transform=transform)

    return handler


def _path_only(function: str, readonly: bool):
    """TYPE, DEL/FORGET, STRLEN, ARRLEN: `key [path]`, and with more arguments the root."""

    def build(name: str, ex: bool):
        def handler(args: list[bytes]) -> Call:
            path = args[2] if len(args) == 3 else b""
            return Call(function, [args[1]], [pointer_spec(path, ex)], readonly=readonly)

        return handler

    return build


def _incr(integer: bool):
    """INCRBY / INCRBYFLOAT / NUMINCRBY `key [path] value`: the value is read first; with
    any other count than four arguments the path is the root and the value argv[2]."""

    def build(name: str, ex: bool):
        def handler(args: list[bytes]) -> Call:
            four = len(args) == 4
            raw = args[3] if four else args[2]
            if integer:
                n = parse_int64(raw)
                value = None if n is None else float(n)  # C's (double) cast rounds alike
            else:
                value = parse_double(raw)
            if value is None:
                raise CommandError(NOT_INTEGER)
            spec = pointer_spec(args[2] if four else b"", ex)
            return Call("tp_json_incr", [args[1]], [spec, _number_text(value)])

        return handler

    return build


def _strappend(name: str, ex: bool):
    def handler(args: list[bytes]) -> Call:
        four = len(args) == 4
        spec = pointer_spec(args[2] if four else b"", ex)
        return Call("tp_json_strappend", [args[1]], [spec, args[3] if four else args[2]])

    return handler


def _arrpush(name: str, ex: bool):
    def handler(args: list[bytes]) -> Call:
        return Call("tp_json_arrpush", [args[1]], [pointer_spec(args[2], ex), *map(c_string, args[3:])])

    return handler


def _arrinsert(name: str, ex: bool):
    def handler(args: list[bytes]) -> Call:
        return Call("tp_json_arrinsert", [args[1]], [pointer_spec(args[2], ex), args[3], *map(c_string, args[4:])])

    return handler


def _arrpop(name: str, ex: bool):
    def handler(args: list[bytes]) -> Call:
        return Call("tp_json_arrpop", [args[1]], [pointer_spec(args[2], ex), *args[3:4]])

    return handler


def _arrtrim(name: str, ex: bool):
    def handler(args: list[bytes]) -> Call:
        return Call("tp_json_arrtrim", [args[1]], [pointer_spec(args[2], ex), args[3], args[4]])

    return handler


# (suffix, arity, builder, readonly, key range): the module registers every command with
# keys 1..1 except JSON.MGET (1..-2).
_TABLE = [
    ("SET", -4, _set, False),
    ("GET", -2, _get, True),
    ("TYPE", -2, _path_only("tp_json_type", True), True),
    ("DEL", -2, _path_only("tp_json_del", False), False),
    ("FORGET", -2, _path_only("tp_json_del", False), False),
    ("INCRBY", -3, _incr(True), False),
    ("INCRBYFLOAT", -3, _incr(False), False),
    ("NUMINCRBY", -3, _incr(False), False),
    ("STRLEN", -2, _path_only("tp_json_strlen", True), True),
    ("STRAPPEND", -3, _strappend, False),
    ("ARRLEN", -2, _path_only("tp_json_arrlen", True), True),
    ("ARRINSERT", -5, _arrinsert, False),
    ("ARRPUSH", -4, _arrpush, False),
    ("ARRAPPEND", -4, _arrpush, False),
    ("ARRPOP", -3, _arrpop, False),
    ("ARRTRIM", 5, _arrtrim, False),
    ("MGET", -3, _mget, True),
]


def _family(prefix: str, ex: bool) -> list[Command]:
    commands = []
    for suffix, arity, build, readonly in _TABLE:
        name = prefix + suffix
        last_key = -2 if suffix == "MGET" else 1
        commands.append(Command(name, arity, build(name, ex), last_key=last_key, readonly=readonly))
    return commands


COMMANDS = [
    *_family("JSON.", False),
    *_family("EXJSON", True),
    Command("EXJSONARRAYAPPEND", -4, _arrpush("EXJSONARRAYAPPEND", True)),
]
