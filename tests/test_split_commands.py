"""Huge commands of independent elements (BF.MADD, BF.INSERT, BF.MEXISTS and their TFBF*
twins, EXZADD) run as several calls, so no single call holds Valkey long; the client sees the one
reply the whole command gives."""

from __future__ import annotations

import redis

from tairproxy.modules.tairbloom import SPLIT_ITEMS
from tairproxy.modules.tairzset import SPLIT_MEMBERS

N = 2 * SPLIT_ITEMS + 123


def _calls_in_slowlog(direct: redis.Redis, function: str) -> int:
    return sum(1 for entry in direct.slowlog_get(1000) if function.encode() in entry["command"])


def test_a_huge_madd_is_split_and_answers_as_one(proxy, r, direct):
    direct.config_set("slowlog-log-slower-than", 0)
    direct.slowlog_reset()
    try:
        items = [f"i{i}" for i in range(N)] + ["i0", f"i{N - 1}"]  # repeats in a later part
        reply = r.execute_command("BF.MADD", "big", *items)
        assert _calls_in_slowlog(direct, "tp_bf_add") == 3
        # The same items in one unsplit call (a transaction runs it whole) on another key: the
        # answers are the same, false positives of the scaling filter included.
        pipe = r.pipeline(transaction=True)
        pipe.execute_command("BF.MADD", "whole", *items)
        assert reply == pipe.execute()[0]
        assert reply[-2:] == [0, 0] and sum(reply) > 0.98 * N
        assert r.execute_command("BF.MEXISTS", "big", *items) == [1] * (N + 2)
        assert r.execute_command("BF.CARD", "big") == r.execute_command("BF.CARD", "whole")
    finally:
        direct.config_set("slowlog-log-slower-than", 10000)


def test_insert_creates_with_its_options_then_every_part_adds(r):
    items = [f"x{i}" for i in range(N)]
    assert r.execute_command("BF.INSERT", "ins", "CAPACITY", "50000", "ERROR", "0.001", "ITEMS", *items) == [1] * N
    info = r.execute_command("BF.INFO", "ins")
    assert info[info.index(b"Capacity") + 1] == 50000
    assert r.execute_command("TFBFMEXISTS", "ins", *items[-3:]) == [1, 1, 1]
    assert r.execute_command("TFBFMADD", "ins", *items[:SPLIT_ITEMS + 1]) == [0] * (SPLIT_ITEMS + 1)


def test_a_whole_command_error_is_the_one_reply(raw, direct):
    direct.set("str", "x")
    items = [b"e%d" % i for i in range(N)]
    assert raw("BF.MADD", "str", *items) == b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    assert raw("BF.INSERT", "nokey", "NOCREATE", "ITEMS", *items) == b"-ERR not found\r\n"


def test_order_is_kept_around_a_split_command_and_multi_runs_it_whole(raw, direct):
    items = [b"p%d" % i for i in range(N)]
    raw.send("SET", "before", "1")
    raw.send("BF.MADD", "ordered", *items)
    raw.send("GET", "before")
    assert raw.read() == b"+OK\r\n"
    assert raw.read().startswith(b"*%d\r\n:1\r\n" % N)
    assert raw.read() == b"$1\r\n1\r\n"
    direct.config_set("slowlog-log-slower-than", 0)
    direct.slowlog_reset()
    try:
        assert raw("MULTI") == b"+OK\r\n"
        assert raw("BF.MADD", "inmulti", *items) == b"+QUEUED\r\n"
        assert raw("EXEC").startswith(b"*1\r\n*%d\r\n:1\r\n" % N)
        assert _calls_in_slowlog(direct, "tp_bf_add") == 1  # a transaction is atomic anyway
    finally:
        direct.config_set("slowlog-log-slower-than", 10000)


def _members(prefix: str, n: int, score=lambda i: i) -> list:
    out = []
    for i in range(n):
        out += [score(i), f"{prefix}{i}"]
    return out


def test_a_huge_exzadd_is_split_and_ends_as_the_whole_command(r, direct):
    n = 2 * SPLIT_MEMBERS + 77
    # Members named again in a later part (the later score wins, as in one call), some already
    # there before (CH counts them when their score changes).
    args = _members("m", n) + [5.5, "m0", 7, f"m{n - 1}"]
    for key in ("zsplit", "zwhole"):
        r.execute_command("EXZADD", key, 1, "m1", 2, "m2")
    direct.config_set("slowlog-log-slower-than", 0)
    direct.slowlog_reset()
    try:
        split = r.execute_command("EXZADD", "zsplit", "CH", *args)
        assert _calls_in_slowlog(direct, "tp_exzadd") == 3
    finally:
        direct.config_set("slowlog-log-slower-than", 10000)
    pipe = r.pipeline(transaction=True)  # a transaction runs it as one call
    pipe.execute_command("EXZADD", "zwhole", "CH", *args)
    whole = pipe.execute()[0]
    assert split == whole == n  # m1 and m2 kept their scores; m0 and m{n-1} added, then changed
    assert r.execute_command("EXZRANGE", "zsplit", 0, -1, "WITHSCORES") == \
        r.execute_command("EXZRANGE", "zwhole", 0, -1, "WITHSCORES")
    assert r.execute_command("EXZSCORE", "zsplit", "m0") == b"5.5"
    assert r.execute_command("EXZSCORE", "zsplit", f"m{n - 1}") == b"7"


def test_split_exzadd_nx_xx_and_errors(r, raw, direct):
    n = SPLIT_MEMBERS + 10
    assert r.execute_command("EXZADD", "znx", "NX", *_members("a", n), 99, "a0") == n  # a0 keeps 0
    assert r.execute_command("EXZSCORE", "znx", "a0") == b"0"
    assert r.execute_command("EXZADD", "zxx", "XX", *_members("a", n)) == 0
    assert r.execute_command("EXISTS", "zxx") == 0
    assert r.execute_command("EXZADD", "znx", "XX", "CH", *_members("a", n, lambda i: i + 1)) == n
    direct.set("zstr", "x")
    assert raw("EXZADD", "zstr", *_members("b", n)) == b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    assert raw("EXZADD", "znx", *_members("c", n, lambda i: f"{i}#1")).startswith(b"-ERR")  # other dimensions
    assert r.execute_command("EXZCARD", "znx") == n


def test_parts_with_the_same_items_each_get_their_own_answer(r):
    """Two parts can be equal (the same items twice over): each part's answer lands in its own
    place, never on the first equal part's."""
    items = ["same"] * (2 * SPLIT_ITEMS)
    reply = r.execute_command("BF.MADD", "twice", *items)
    assert reply == [1] + [0] * (2 * SPLIT_ITEMS - 1)
    assert r.execute_command("BF.MEXISTS", "twice", *items) == [1] * (2 * SPLIT_ITEMS)
