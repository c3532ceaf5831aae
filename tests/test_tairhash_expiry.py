"""TairHash field expiry as Tair does it: actively (no access needed), the key gone with its
last field, versions starting again at 1, EXHSCAN's guarantee while fields expire, and the
memory cost of the encoding.

Field TTLs are Valkey 9's native hash-field expiration, so "without access" is checked on
the direct connection with HLEN (which still counts a field that expired but was not yet
reclaimed) and EXISTS.
"""

from __future__ import annotations

import random
import time

from tests.tairhash_replies import OK, arr, bulk, i, stored, withver


def wait_until(predicate, timeout: float = 2.5, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def test_field_expires_without_access(raw, direct):
    assert raw("EXHSET", "k", "short", "v", "PX", "100") == i(1)
    assert raw("EXHSET", "k", "long", "v") == i(1)
    assert direct.hlen("k") == 2
    # Nobody touches the key: Valkey's active expiry removes the field.
    assert wait_until(lambda: direct.hlen("k") == 1)
    assert direct.hgetall("k") == {b"long": stored(1, "v")}
    assert raw("EXHLEN", "k") == i(1)
    assert raw("EXHGET", "k", "short") == b"$-1\r\n"


def test_key_vanishes_with_its_last_field(raw, direct):
    assert raw("EXHSET", "k", "a", "v", "PX", "100") == i(1)
    assert raw("EXHINCRBY", "k", "b", "1", "PX", "150") == i(1)
    assert raw("EXHINCRBYFLOAT", "k", "c", "1.5", "PX", "120") == bulk("1.5")
    assert direct.exists("k") == 1
    assert wait_until(lambda: direct.exists("k") == 0)
    assert raw("EXHLEN", "k") == i(0)
    assert raw("EXHVER", "k", "a") == i(-1)
    assert raw("EXHTTL", "k", "a") == i(-2)


def test_expire_commands_expire_without_access(raw, direct):
    assert raw("EXHMSET", "k", "a", "1", "b", "2", "c", "3") == OK
    assert raw("EXHPEXPIRE", "k", "a", "100") == i(1)
    assert raw("EXHPEXPIREAT", "k", "b", str(int(time.time() * 1000) + 150)) == i(1)
    assert raw("EXHEXPIRE", "k", "c", "100") == i(1)
    assert raw("EXHPERSIST", "k", "c") == i(1)
    assert wait_until(lambda: direct.hlen("k") == 1)
    assert raw("EXHGETALLWITHVER", "k") == arr(bulk("c"), bulk("3"), i(2))


def test_versions_restart_after_expiry(raw, direct):
    assert raw("EXHSET", "k", "f", "v") == i(1)
    assert raw("EXHSET", "k", "f", "v", "PX", "100") == i(0)
    assert raw("EXHSET", "k", "keep", "v", "ABS", "7") == i(1)
    assert raw("EXHVER", "k", "f") == i(2)
    assert wait_until(lambda: direct.hlen("k") == 1)
    assert raw("EXHVER", "k", "f") == i(-2)
    assert raw("EXHSET", "k", "f", "v2", "VER", "2") == i(1)  # a new field: no version check
    assert raw("EXHGETWITHVER", "k", "f") == withver("v2", 1)
    assert raw("EXHVER", "k", "keep") == i(7)
    # The same after the whole key expired.
    assert raw("EXHSET", "k2", "f", "v", "ABS", "50", "PX", "100") == i(1)
    assert wait_until(lambda: direct.exists("k2") == 0)
    assert raw("EXHINCRBY", "k2", "f", "5") == i(5)
    assert raw("EXHVER", "k2", "f") == i(1)


def test_expired_field_is_gone_for_every_reader(raw, direct):
    assert raw("EXHSET", "k", "f1", "val1", "PX", "100") == i(1)
    assert raw("EXHSET", "k", "f2", "val2", "PX", "200") == i(1)
    assert raw("EXHSET", "k", "f3", "val3") == i(1)
    time.sleep(0.3)
    assert raw("EXHVALS", "k") == arr(bulk("val3"))
    assert raw("EXHKEYS", "k") == arr(bulk("f3"))
    assert raw("EXHGETALL", "k") == arr(bulk("f3"), bulk("val3"))
    assert raw("EXHMGET", "k", "f1", "f2", "f3") == arr(b"$-1\r\n", b"$-1\r\n", bulk("val3"))
    assert raw("EXHEXISTS", "k", "f1") == i(0)
    assert raw("EXHSTRLEN", "k", "f2") == i(0)
    assert raw("EXHLEN", "k", "NOEXP") == i(1)
    assert raw("EXHSCAN", "k", "0") == arr(bulk("0"), arr(bulk("f3"), bulk("val3")))


def test_exhscan_complete_while_fields_expire(raw, r, direct):
    """10 000 fields, 3 000 of them expiring at random moments during the scan:
    every field present for the whole scan is returned at least once."""
    n = 10_000
    pairs = [x for j in range(n) for x in (f"field:{j}", f"value:{j}")]
    assert raw("EXHMSET", "k", *pairs) == OK
    rng = random.Random(7)
    expiring = set(rng.sample(range(n), 3000))
    pipe = r.pipeline(transaction=False)
    for j in expiring:
        pipe.execute_command("EXHPEXPIRE", "k", f"field:{j}", rng.randint(20, 600))
    assert all(x == 1 for x in pipe.execute())
    seen: dict[bytes, bytes] = {}
    cursor, calls = b"0", 0
    while True:
        cursor, items = r.execute_command("EXHSCAN", "k", cursor, "COUNT", 40)
        calls += 1
        for f, v in zip(items[::2], items[1::2], strict=True):
            assert v == b"value:" + f.split(b":")[1]
            seen[f] = v
        if cursor == b"0":
            break
        time.sleep(0.002)
    assert calls > 100  # the scan really spanned the expirations
    stable = {f"field:{j}".encode() for j in range(n) if j not in expiring}
    assert stable <= set(seen)
    assert direct.hlen("k") < n  # fields did expire meanwhile


def test_memory_against_a_plain_hash(raw, r, direct):
    """100 000 fields with TTLs vs the same data in a plain hash (MEMORY USAGE).

    The fair comparison is a plain hash holding the same fields with the same TTLs: the
    encoding (marker, version, ':' per value) must stay within 1.2x of it; measured on
    Valkey 9.1.2 ~0.97-1.14x depending on value size. Against a plain hash without TTLs
    it is ~1.3-1.55x, most of which is Valkey's own per-field TTL bookkeeping (a plain
    hash with TTLs is itself ~1.6x one without).
    """
    n, batch = 100_000, 10_000
    value = "x" * 16
    for start in range(0, n, batch):
        args = [x for j in range(start, start + batch) for x in (f"field:{j}", value, "0", "100000")]
        assert raw("EXHMSETWITHOPTS", "th", *args) == OK
        mapping = {f"field:{j}": value for j in range(start, start + batch)}
        direct.hset("plain", mapping=mapping)
        direct.hset("plainttl", mapping=mapping)
        direct.execute_command("HPEXPIRE", "plainttl", 100_000_000, "FIELDS", batch, *mapping)
    assert raw("EXHLEN", "th") == i(n)
    ours = direct.memory_usage("th", samples=0)
    plain = direct.memory_usage("plain", samples=0)
    plain_ttl = direct.memory_usage("plainttl", samples=0)
    ratio = ours / plain
    print(f"\nTairHash {ours} B, plain hash {plain} B (x{ratio:.3f}), plain hash with TTLs {plain_ttl} B"
          f" (x{ours / plain_ttl:.3f})")
    assert ours / plain_ttl <= 1.2
    assert ratio <= 1.7


def test_fields_sharing_one_expire_time(raw, direct):
    """tairhash.tcl "EX/EXAT/PX/PXAT with same time", with a short absolute time."""
    parts = raw("TIME").split(b"\r\n")
    at = str(int(parts[2]) * 1000 + int(parts[4]) // 1000 + 300)
    for f in ("field1", "field2", "field3"):
        assert raw("EXHSET", "k", f, "val", "PXAT", at) == i(1)
        assert raw("EXHDEL", "k", f) == i(1)
        assert raw("EXHSET", "k", f, "val", "PXAT", at) == i(1)
    assert raw("EXHLEN", "k") == i(3)
    assert wait_until(lambda: direct.exists("k") == 0)
    assert raw("EXHLEN", "k") == i(0)


# ----------------------------------------------------------------- TTLs at the int64 edges
# The module keeps a field's expiry as an int64 of absolute ms and computes it in C:
# `expire *= 1000` for seconds and `now + expire` for relative times, both wrapping past
# int64. EXHSET then drops the TTL when the result is 0, keeps it when it is negative and
# sets it when positive; EXHPEXPIRE & co. set it only when positive (the version moves anyway).

BIG_MS = 10**18  # past 2^53: a Lua number cannot hold it exactly


def int_of(reply: bytes) -> int:
    assert reply[:1] == b":", reply
    return int(reply[1:-2])


def test_field_ttl_past_2_53_ms_is_exact(raw, direct):
    assert raw("EXHSET", "h", "f", "v", "PX", str(BIG_MS)) == i(1)
    ttl = int_of(raw("EXHPTTL", "h", "f"))
    assert BIG_MS - 5000 < ttl <= BIG_MS
    # Exact to the millisecond: the native expiry and the reply agree digit for digit.
    at = direct.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "f")[0]
    now = int(direct.time()[0]) * 1000 + int(direct.time()[1]) // 1000
    assert abs((at - now) - ttl) < 5000
    assert raw("EXHTTL", "h", "f") in (i((ttl + 500) // 1000), i((ttl + 500) // 1000 - 1))
    assert raw("EXHPEXPIRE", "h", "f", str(2 * BIG_MS)) == i(1)
    assert 2 * BIG_MS - 5000 < int_of(raw("EXHPTTL", "h", "f")) <= 2 * BIG_MS
    assert raw("EXHEXPIRE", "h", "f", str(BIG_MS // 1000)) == i(1)
    assert BIG_MS - 5000 < int_of(raw("EXHPTTL", "h", "f")) <= BIG_MS
    # Value, version and TTL survive other writes; KEEPTTL keeps the exact expiry too.
    assert raw("EXHINCRBY", "h", "n", "1", "EX", str(BIG_MS // 1000)) == i(1)
    assert BIG_MS - 5000 < int_of(raw("EXHPTTL", "h", "n")) <= BIG_MS
    assert raw("EXHSET", "h", "f", "w", "KEEPTTL") == i(0)
    assert BIG_MS - 5000 < int_of(raw("EXHPTTL", "h", "f")) <= BIG_MS
    assert raw("EXHGETWITHVER", "h", "f") == arr(bulk("w"), i(4))
    assert raw("EXHGETALL", "h") == arr(bulk("f"), bulk("w"), bulk("n"), bulk("1"))
    assert raw("EXHPERSIST", "h", "f") == i(1)
    assert raw("EXHPTTL", "h", "f") == i(-1)
    assert raw("EXHGET", "h", "f") == bulk("w")


def test_expire_times_wrap_as_the_modules_int64(raw):
    int64_max = (1 << 63) - 1
    assert raw("EXHSET", "h", "keep", "v", "PX", "100000") == i(1)
    # now + INT64_MAX wraps negative: the field keeps the TTL it had (none for a new one).
    assert raw("EXHSET", "h", "new", "v", "PX", str(int64_max)) == i(1)
    assert raw("EXHPTTL", "h", "new") == i(-1)
    assert raw("EXHSET", "h", "keep", "w", "PX", str(int64_max)) == i(0)
    assert 90000 < int_of(raw("EXHPTTL", "h", "keep")) <= 100000
    # INT64_MAX seconds * 1000 wraps to -1000: an expiry a second ago, gone at once.
    assert raw("EXHSET", "h", "gone", "v", "EX", str(int64_max)) == i(1)
    assert raw("EXHEXISTS", "h", "gone") == i(0)
    # EXHPEXPIRE with a wrapped (negative) expiry answers 1, moves the version, keeps the TTL.
    assert raw("EXHPEXPIRE", "h", "keep", str(int64_max)) == i(1)
    assert 90000 < int_of(raw("EXHPTTL", "h", "keep")) <= 100000
    assert raw("EXHVER", "h", "keep") == i(3)
    # EXHMSETWITHOPTS computes now + seconds * 1000 the same way.
    assert raw("EXHMSETWITHOPTS", "h", "m", "v", "0", str(int64_max)) == OK
    assert raw("EXHEXISTS", "h", "m") == i(0)
