"""How ``tairproxy migrate`` reads and writes each type of key, found by what TYPE answers.

A reader is a generator: it yields the commands it needs (one round of a pipeline shared by
every key of a batch) and receives their replies, as often as it needs, then returns the key's
content — a plain value that compares equal when two keys hold the same thing, so ``--verify``
reads both sides with the same reader. A writer turns content back into commands for the target
(a tairproxy): it deletes the key first, so copying a key twice gives the same key, versions
included (they are written as absolute versions). Key TTLs travel beside the content.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import hiredis

Cmd = tuple[bytes, ...]
Reader = Generator[list[Cmd], list, object]

# A reader returns this when the key disappeared (deleted or expired) while being read.
VANISHED = object()
CHUNK = 512  # members per write command
# TTLs read on both sides a little apart still count as equal within this many ms.
TTL_TOLERANCE_MS = 3000


class KeyFailed(Exception):
    """A key could not be read: the reason goes in the summary."""


def ok(reply: object) -> object:
    if isinstance(reply, hiredis.ReplyError):
        raise KeyFailed(str(reply))
    return reply


def _int(n: int) -> bytes:
    return b"%d" % n


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _flat(pairs) -> list[bytes]:
    return [x for pair in pairs for x in pair]


def expire_cmds(key: bytes, pttl: int) -> list[Cmd]:
    return [(b"PEXPIRE", key, _int(pttl))] if pttl > 0 else []


def ttl_close(a: int, b: int) -> bool:
    """Two remaining TTLs (ms; -1 none) describe the same expiry."""
    if a <= 0 or b <= 0:
        return (a <= 0) == (b <= 0)
    return abs(a - b) <= TTL_TOLERANCE_MS


def fields_same(a: dict, b: dict) -> bool:
    """Two hashes' contents, {field: (..., ttl)}: equal, field TTLs within the tolerance."""
    return a.keys() == b.keys() and all(a[f][:-1] == b[f][:-1] and ttl_close(a[f][-1], b[f][-1]) for f in a)


@dataclass(frozen=True, slots=True)
class Kind:
    """One type of key: its label in the summary and how to read and write it."""

    label: str

    def read(self, key: bytes) -> Reader:
        raise NotImplementedError

    def write(self, key: bytes, content: object, pttl: int) -> list[Cmd]:
        raise NotImplementedError

    def read_content(self, key: bytes) -> Reader:
        """The key's content through its type's own commands: what --verify compares."""
        return self.read(key)

    def same(self, a: object, b: object) -> bool:
        return a == b


# ----- Tair families ---------------------------------------------------------


class TairString(Kind):
    def read(self, key: bytes) -> Reader:
        (reply,) = yield [(b"EXGET", key, b"WITHFLAGS")]
        if isinstance(reply, hiredis.ReplyError) and not str(reply).startswith("WRONGTYPE"):
            (reply,) = yield [(b"EXGET", key)]  # a TairString older than flags
            reply = None if reply is None else [*ok(reply), 0]
        if ok(reply) is None:
            return VANISHED
        value, version, flags = reply
        return value, version, flags

    def write(self, key: bytes, content, pttl: int) -> list[Cmd]:
        value, version, flags = content
        cmd = [b"EXSET", key, value, b"ABS", _int(version)]
        if flags:
            cmd += [b"FLAGS", _int(flags)]
        if pttl > 0:
            cmd += [b"PX", _int(pttl)]
        return [(b"DEL", key), tuple(cmd)]


class TairHash(Kind):
    """Every field with its value, version and TTL (EXHGETALLWITHVER, then EXHPTTL per field)."""

    def read(self, key: bytes) -> Reader:
        (flat,) = yield [(b"EXHGETALLWITHVER", key)]
        if not ok(flat):
            return VANISHED
        fields = flat[0::3]
        ttls = yield [(b"EXHPTTL", key, f) for f in fields]
        content = {}
        for field, value, version, ttl in zip(fields, flat[1::3], flat[2::3], ttls, strict=True):
            if ok(ttl) >= -1:  # -3: the field expired in between
                content[field] = (value, version, ttl)
        return content or VANISHED

    def write(self, key: bytes, content, pttl: int) -> list[Cmd]:
        cmds: list[Cmd] = [(b"DEL", key)]
        for field, (value, version, ttl) in content.items():
            if version == 0:  # EXHSETNX leaves a field at version 0; ABS cannot say 0
                cmds.append((b"EXHSETNX", key, field, value))
                if ttl > 0:
                    cmds.append((b"EXHPEXPIRE", key, field, _int(ttl)))
            elif ttl > 0:
                cmds.append((b"EXHSET", key, field, value, b"ABS", _int(version), b"PX", _int(ttl)))
            else:
                cmds.append((b"EXHSET", key, field, value, b"ABS", _int(version)))
        return cmds + expire_cmds(key, pttl)

    def same(self, a, b) -> bool:
        return fields_same(a, b)


class TairZset(Kind):
    """Members with their (multi-dimensional) scores, in Tair's order."""

    def read(self, key: bytes) -> Reader:
        (flat,) = yield [(b"EXZRANGE", key, b"0", b"-1", b"WITHSCORES")]
        if not ok(flat):
            return VANISHED
        return list(zip(flat[0::2], flat[1::2], strict=True))

    def write(self, key: bytes, content, pttl: int) -> list[Cmd]:
        adds = [(b"EXZADD", key, *_flat((score, member) for member, score in part))
                for part in _chunks(content, CHUNK)]
        return [(b"DEL", key), *adds, *expire_cmds(key, pttl)]


class TairGis(Kind):
    """Every member's geometry, as WKT."""

    def read(self, key: bytes) -> Reader:
        (flat,) = yield [(b"GIS.GETALL", key)]
        if not ok(flat):
            return VANISHED
        return dict(zip(flat[0::2], flat[1::2], strict=True))

    def write(self, key: bytes, content, pttl: int) -> list[Cmd]:
        adds = [(b"GIS.ADD", key, *_flat(part)) for part in _chunks(list(content.items()), CHUNK)]
        return [(b"DEL", key), *adds, *expire_cmds(key, pttl)]


class TairDoc(Kind):
    """The whole document, byte for byte as JSON.GET prints it."""

    def read(self, key: bytes) -> Reader:
        (doc,) = yield [(b"JSON.GET", key)]
        return VANISHED if ok(doc) is None else doc

    def write(self, key: bytes, content, pttl: int) -> list[Cmd]:
        return [(b"DEL", key), (b"JSON.SET", key, b".", content), *expire_cmds(key, pttl)]


# ----- payloads: DUMP / RESTORE ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Payload:
    """A DUMP payload: copied with RESTORE when the target accepts it."""

    data: bytes


def read_dump(key: bytes) -> Reader:
    (payload,) = yield [(b"DUMP", key)]
    return VANISHED if ok(payload) is None else Payload(payload)


def restore_cmds(key: bytes, payload: Payload, pttl: int) -> list[Cmd]:
    return [(b"RESTORE", key, _int(max(pttl, 0)), payload.data, b"REPLACE")]


def payload_rejected(error: str) -> bool:
    """RESTORE's answer for a payload this server cannot load (module type, newer RDB)."""
    text = error.lower()
    return "payload" in text or "bad data format" in text


class TairBloom(Kind):
    """No command reads a filter's bits, so only a DUMP payload the target can load copies it."""

    SKIP_REASON = "no command reads a TairBloom filter's bits, and the target cannot load its DUMP payload"

    def read(self, key: bytes) -> Reader:
        return read_dump(key)

    def write(self, key: bytes, content, pttl: int) -> list[Cmd]:
        return restore_cmds(key, content, pttl)


# ----- native types: DUMP/RESTORE, else a copy type by type --------------------


class Native(Kind):
    """A native key: its DUMP payload when the target takes it, else its content."""

    def read(self, key: bytes) -> Reader:
        return read_dump(key)

    def write(self, key: bytes, content, pttl: int) -> list[Cmd]:
        if isinstance(content, Payload):
            return restore_cmds(key, content, pttl)
        return [(b"DEL", key), *self.write_content(key, content), *expire_cmds(key, pttl)]

    def write_content(self, key: bytes, content) -> list[Cmd]:
        raise NotImplementedError


class NativeString(Native):
    def read_content(self, key: bytes) -> Reader:
        (value,) = yield [(b"GET", key)]
        return VANISHED if ok(value) is None else value

    def write_content(self, key: bytes, content) -> list[Cmd]:
        return [(b"SET", key, content)]


class NativeList(Native):
    def read_content(self, key: bytes) -> Reader:
        (items,) = yield [(b"LRANGE", key, b"0", b"-1")]
        return ok(items) or VANISHED

    def write_content(self, key: bytes, content) -> list[Cmd]:
        return [(b"RPUSH", key, *part) for part in _chunks(content, CHUNK)]


class NativeSet(Native):
    def read_content(self, key: bytes) -> Reader:
        (members,) = yield [(b"SMEMBERS", key)]
        return frozenset(ok(members)) or VANISHED

    def write_content(self, key: bytes, content) -> list[Cmd]:
        return [(b"SADD", key, *part) for part in _chunks(sorted(content), CHUNK)]


class NativeZset(Native):
    def read_content(self, key: bytes) -> Reader:
        (flat,) = yield [(b"ZRANGE", key, b"0", b"-1", b"WITHSCORES")]
        if not ok(flat):
            return VANISHED
        return list(zip(flat[0::2], flat[1::2], strict=True))

    def write_content(self, key: bytes, content) -> list[Cmd]:
        return [(b"ZADD", key, *_flat((s, m) for m, s in part)) for part in _chunks(content, CHUNK)]


class NativeHash(Native):
    """Fields and values, and each field's TTL where the server has them (Valkey >= 9)."""

    def read_content(self, key: bytes) -> Reader:
        (flat,) = yield [(b"HGETALL", key)]
        if not ok(flat):
            return VANISHED
        fields = flat[0::2]
        (ttls,) = yield [(b"HPTTL", key, b"FIELDS", _int(len(fields)), *fields)]
        if isinstance(ttls, hiredis.ReplyError):  # no hash-field expiration on this server
            ttls = [-1] * len(fields)
        return {f: (v, t) for f, v, t in zip(fields, flat[1::2], ttls, strict=True) if t >= -1}

    def write_content(self, key: bytes, content) -> list[Cmd]:
        items = [(f, v) for f, (v, _) in content.items()]
        cmds = [(b"HSET", key, *_flat(part)) for part in _chunks(items, CHUNK)]
        for field, (_, ttl) in content.items():
            if ttl > 0:
                cmds.append((b"HPEXPIRE", key, _int(ttl), b"FIELDS", b"1", field))
        return cmds

    def same(self, a, b) -> bool:
        return fields_same(a, b)


class NativeStream(Native):
    """Entries and the last generated id; consumer groups are not copied this way."""

    def read_content(self, key: bytes) -> Reader:
        entries, info = yield [(b"XRANGE", key, b"-", b"+"), (b"XINFO", b"STREAM", key)]
        if isinstance(info, hiredis.ReplyError) and entries == []:
            return VANISHED
        fields = dict(zip(ok(info)[0::2], info[1::2], strict=False))
        return [(i, tuple(f)) for i, f in ok(entries)], fields.get(b"last-generated-id")

    def write_content(self, key: bytes, content) -> list[Cmd]:
        entries, last_id = content
        cmds = [(b"XADD", key, entry_id, *fields) for entry_id, fields in entries]
        if last_id is not None:
            cmds.append((b"XSETID", key, last_id))
        return cmds


# What TYPE answers → how to copy the key. Tair's names as the real modules register them.
KINDS: dict[bytes, Kind] = {
    b"exstrtype": TairString("TairString"),
    b"tairhash-": TairHash("TairHash"),
    b"tairzset_": TairZset("TairZset"),
    b"exgistype": TairGis("TairGis"),
    b"tair-json": TairDoc("TairDoc"),
    b"MBbloom--": TairBloom("TairBloom"),
    b"bloom": TairBloom("TairBloom"),
    b"string": NativeString("string"),
    b"list": NativeList("list"),
    b"set": NativeSet("set"),
    b"zset": NativeZset("zset"),
    b"hash": NativeHash("hash"),
    b"stream": NativeStream("stream"),
}
