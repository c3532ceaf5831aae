"""TairBloom: scalable Bloom filters (BF.RESERVE, BF.ADD, BF.MADD, BF.EXISTS, BF.MEXISTS,
BF.INSERT, BF.INFO, BF.CARD) and the TFBF* spellings our users' documents use.

Wire syntax as the `tair` client sends it (tair-opensource/tair-py, tair/tairbloom.py);
arguments, defaults (error rate 0.01, capacity 100, expansion 2, tightening ratio 0.5),
check order and error texts as valkey-bloom's (src/bloom/command_handler.rs, utils.rs,
configs.rs), whose BF.INFO/BF.CARD the spec adopts. valkey-bloom registers its commands
upper-case, so its arity errors name them so: ``'BF.ADD'``.

Items are hashed here (mmh3, 128-bit x64) into two 53-bit numbers; Lua derives the bit
positions of every sub-filter from them (modules/tairbloom.lua documents the encoding).
Errors valkey-bloom reports before opening the key are raised here; the rest are Lua's.
"""

from __future__ import annotations

import re

import mmh3

from tairproxy.dispatch import Call, Calls, Command, CommandError, split_call

LUA_FILE = "tairbloom.lua"
# The module this family stands in for (MODULE LIST, INFO): valkey-bloom, whose replies BF.*
# follow, registers as "bf" version 10001.
EMULATES = ("bf", 10001)

DEFAULT_ERROR_RATE = b"0.01"
DEFAULT_CAPACITY = b"100"
DEFAULT_EXPANSION = b"2"
DEFAULT_TIGHTENING = b"0.5"
INT64_MAX = (1 << 63) - 1
UINT32_MAX = (1 << 32) - 1
HASH_SEED = 0x7A1B

ERROR = "ERROR"
BAD_EXPANSION = "ERR bad expansion"
BAD_CAPACITY = "ERR bad capacity"
BAD_ERROR_RATE = "ERR bad error rate"
ERROR_RATE_RANGE = "ERR (0 < error rate range < 1)"
BAD_TIGHTENING_RATIO = "ERR bad tightening ratio"
TIGHTENING_RATIO_RANGE = "ERR (0 < tightening ratio range < 1)"
CAPACITY_LARGER_THAN_0 = "ERR (capacity should be larger than 0)"
UNKNOWN_ARGUMENT = "ERR unknown argument received"
INVALID_SEED = "ERR invalid seed"
NONSCALING_AND_VALIDATE_SCALE_TO = "ERR cannot use NONSCALING and VALIDATESCALETO options together"

INFO_FIELDS = frozenset(
    {"CAPACITY", "SIZE", "FILTERS", "ITEMS", "ERROR", "EXPANSION", "TIGHTENING", "MAXSCALEDCAPACITY"}
)

# Rust's f64 / i64 / u32 FromStr grammars (valkey-bloom parses with str::parse).
_RUST_FLOAT = re.compile(rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE)
_RUST_INT = re.compile(rb"[+-]?\d+")
_RUST_UINT = re.compile(rb"\+?\d+")


def arity_error(name: str) -> CommandError:
    return CommandError(f"ERR wrong number of arguments for '{name}' command")


def _word(arg: bytes) -> str:
    """An option keyword as valkey-bloom compares it (to_string_lossy().to_uppercase())."""
    return arg.decode("utf-8", "replace").upper()


def _parse_ratio(raw: bytes, bad: str, out_of_range: str) -> bytes:
    """A float in (0, 1), sent to Lua as the shortest text that reads back as the same double."""
    if not _RUST_FLOAT.fullmatch(raw):
        raise CommandError(bad)
    value = float(raw)
    if not 0.0 < value < 1.0:
        raise CommandError(out_of_range)
    return repr(value).encode()


def parse_error_rate(raw: bytes) -> bytes:
    return _parse_ratio(raw, BAD_ERROR_RATE, ERROR_RATE_RANGE)


def parse_capacity(raw: bytes) -> bytes:
    """A capacity in 1..=i64::MAX (valkey-bloom's BLOOM_CAPACITY_MIN..=MAX)."""
    n = int(raw) if _RUST_INT.fullmatch(raw) else None
    if n == 0:
        raise CommandError(CAPACITY_LARGER_THAN_0)
    if n is None or not 1 <= n <= INT64_MAX:
        raise CommandError(BAD_CAPACITY)
    return b"%d" % n


def parse_expansion(raw: bytes) -> bytes:
    """An expansion in 1..=u32::MAX."""
    n = int(raw) if _RUST_UINT.fullmatch(raw) else 0
    if not 1 <= n <= UINT32_MAX:
        raise CommandError(BAD_EXPANSION)
    return b"%d" % n


def item_hashes(items: list[bytes]) -> list[bytes]:
    """Two 53-bit hashes per item (exact Lua numbers), from one 128-bit mmh3."""
    out: list[bytes] = []
    append = out.append
    hash64 = mmh3.hash64
    for item in items:
        h1, h2 = hash64(item, seed=HASH_SEED, signed=False)
        append(b"%d" % (h1 >> 11))
        append(b"%d" % (h2 >> 11))
    return out


# Items per call of a split BF.MADD / BF.INSERT / BF.MEXISTS: Lua costs ~5-15 µs per item (more
# as a filter scales out into more sub-filters), so a part holds Valkey well under 100 ms. The
# items are independent (each is added or tested on its own, in order), so parts run one after
# the other give every item the answer the whole command would have; only other clients may now
# run between two parts (as between two commands).
SPLIT_ITEMS = 2048


def concat_arrays(parts: list[bytes]) -> bytes:
    """The parts' array replies as one array; a part that failed as a whole (WRONGTYPE, a
    filter that could not be created) fails the command with its error, as unsplit."""
    for part in parts:
        if part[:1] != b"*":
            return part
    count = sum(int(p[1 : p.index(b"\r\n")]) for p in parts)
    return b"*%d\r\n" % count + b"".join(p[p.index(b"\r\n") + 2 :] for p in parts)


def _items_call(function: str, key: bytes, options: list[bytes], items: list[bytes],
                readonly: bool = False) -> Call | Calls:
    """One call of ``function`` over the items' hashes, split in parts when there are many."""
    whole = Call(function, [key], [*options, *item_hashes(items)], readonly=readonly)
    return split_call(whole, len(options), 2 * SPLIT_ITEMS, concat_arrays)  # two hashes per item


def _add_call(key: bytes, mode: bytes, items: list[bytes], create: list[bytes] | None = None,
              nocreate: bool = False, scale_to: bytes = b"") -> Call | Calls:
    rate, ratio, capacity, expansion = create or (
        DEFAULT_ERROR_RATE, DEFAULT_TIGHTENING, DEFAULT_CAPACITY, DEFAULT_EXPANSION
    )
    options = [mode, rate, ratio, capacity, expansion, b"1" if nocreate else b"", scale_to]
    return _items_call("tp_bf_add", key, options, items)


def reserve(name: str, optional_capacity: bool = False):
    """BF.RESERVE key error_rate capacity [EXPANSION n | NONSCALING]; TFBFRESERVE key error_rate [capacity]."""

    def handler(args: list[bytes]) -> Call:
        argc = len(args)
        if optional_capacity:
            if argc not in (3, 4):
                raise arity_error(name)
        elif not 4 <= argc <= 6:
            raise arity_error(name)
        rate = parse_error_rate(args[2])
        capacity = parse_capacity(args[3]) if argc > 3 else DEFAULT_CAPACITY
        expansion = DEFAULT_EXPANSION
        if argc > 4:
            option = _word(args[4])
            if option == "NONSCALING" and argc == 5:
                expansion = b"0"
            elif option == "EXPANSION" and argc == 6:
                expansion = parse_expansion(args[5])
            else:
                raise CommandError(ERROR)
        return Call("tp_bf_reserve", [args[1]], [rate, DEFAULT_TIGHTENING, capacity, expansion])

    return handler


def add(name: str):
    def handler(args: list[bytes]) -> Call:
        if len(args) != 3:
            raise arity_error(name)
        return _add_call(args[1], b"add", args[2:])

    return handler


def madd(name: str):
    def handler(args: list[bytes]) -> Call:
        if len(args) < 3:
            raise arity_error(name)
        return _add_call(args[1], b"madd", args[2:])

    return handler


def insert(args: list[bytes]) -> Call:
    """BF.INSERT key [CAPACITY n] [ERROR e] [EXPANSION n] [NOCREATE] [NONSCALING]
    [TIGHTENING r] [SEED s] [VALIDATESCALETO n] [ITEMS item ...], parsed as valkey-bloom does."""
    argc = len(args)
    if argc < 2:
        raise arity_error("BF.INSERT")
    rate, ratio = DEFAULT_ERROR_RATE, DEFAULT_TIGHTENING
    capacity, expansion = DEFAULT_CAPACITY, DEFAULT_EXPANSION
    nocreate, scale_to, items_given = False, b"", False
    idx = 2
    while idx < argc:
        word = _word(args[idx])
        if word in ("ERROR", "TIGHTENING", "CAPACITY", "SEED", "EXPANSION", "VALIDATESCALETO"):
            if idx >= argc - 1:
                raise arity_error("BF.INSERT")
            idx += 1
            value = args[idx]
            if word == "ERROR":
                rate = parse_error_rate(value)
            elif word == "TIGHTENING":
                ratio = _parse_ratio(value, BAD_TIGHTENING_RATIO, TIGHTENING_RATIO_RANGE)
            elif word == "CAPACITY":
                capacity = parse_capacity(value)
            elif word == "SEED":
                # Our hash seed is fixed; a seed only changes which bits are used, so a valid
                # one is accepted and has no effect.
                if len(value) != 32:
                    raise CommandError(INVALID_SEED)
            elif word == "EXPANSION":
                expansion = parse_expansion(value)
            else:
                scale_to = parse_capacity(value)
        elif word == "NOCREATE":
            nocreate = True
        elif word == "NONSCALING":
            expansion = b"0"
        elif word == "ITEMS":
            idx += 1
            items_given = True
            break
        else:
            raise CommandError(UNKNOWN_ARGUMENT)
        idx += 1
    if idx == argc and items_given:
        raise arity_error("BF.INSERT")
    if scale_to and expansion == b"0":
        raise CommandError(NONSCALING_AND_VALIDATE_SCALE_TO)
    return _add_call(
        args[1], b"insert", args[idx:] if items_given else [],
        [rate, ratio, capacity, expansion], nocreate, scale_to,
    )


def exists(name: str, multi: bool):
    def handler(args: list[bytes]) -> Call:
        if len(args) < 3 or (not multi and len(args) != 3):
            raise arity_error(name)
        return _items_call("tp_bf_exists", args[1], [b"1" if multi else b""], args[2:], readonly=True)

    return handler


def card(args: list[bytes]) -> Call:
    if len(args) != 2:
        raise arity_error("BF.CARD")
    return Call("tp_bf_card", [args[1]], [], readonly=True)


def info(args: list[bytes]) -> Call:
    if not 2 <= len(args) <= 3:
        raise arity_error("BF.INFO")
    field = b""
    if len(args) == 3:
        word = _word(args[2])
        # Anything else is answered "invalid information value" once the key is found.
        field = word.encode() if word in INFO_FIELDS else b"?"
    return Call("tp_bf_info", [args[1]], [field], readonly=True)


COMMANDS = [
    Command("BF.RESERVE", -1, reserve("BF.RESERVE")),
    Command("BF.ADD", -1, add("BF.ADD")),
    Command("BF.MADD", -1, madd("BF.MADD")),
    Command("BF.EXISTS", -1, exists("BF.EXISTS", False), readonly=True),
    Command("BF.MEXISTS", -1, exists("BF.MEXISTS", True), readonly=True),
    Command("BF.INSERT", -1, insert),
    Command("BF.INFO", -1, info, readonly=True),
    Command("BF.CARD", -1, card, readonly=True),
    # Spellings from our users' design documents: same semantics and replies as BF.*.
    Command("TFBFRESERVE", -1, reserve("TFBFRESERVE", optional_capacity=True)),
    Command("TFBFADD", -1, add("TFBFADD")),
    Command("TFBFMADD", -1, madd("TFBFMADD")),
    Command("TFBFEXISTS", -1, exists("TFBFEXISTS", False), readonly=True),
    Command("TFBFMEXISTS", -1, exists("TFBFMEXISTS", True), readonly=True),
]
