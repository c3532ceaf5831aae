"""ACL users through the proxy: Valkey's verdict for every Tair command, worded as Valkey words
it for a module command — NOPERM naming the command the client sent (never FCALL, never a
function or a native command the library runs inside), Valkey's own key and channel texts.

The rules a Tair user needs (README, "Access control"): +fcall_ro for reads, +fcall for writes,
plus the native commands the library runs inside (+@read, +@write, +time), and key patterns.
"""

from __future__ import annotations

import logging

import pytest
import redis

from tairproxy.resp import encode_command
from tests.helpers import ProxyThread, RawClient

KEY_DENIED = b"-NOPERM No permissions to access a key\r\n"
CHANNEL_DENIED = b"-NOPERM No permissions to access a channel\r\n"
READER = ["~app:*", "-@all", "+@read", "+fcall_ro", "+time"]  # the README's read-only user
WRITER = ["~app:*", "-@all", "+@read", "+@write", "+fcall", "+fcall_ro", "+time"]
TRANSACTIONS = "+@transaction"
PASSWORD = "pw"


def denied(user: str, command: str) -> bytes:
    return b"-NOPERM User %s has no permissions to run the '%s' command\r\n" % (user.encode(), command.encode())


@pytest.fixture
def users(direct):
    made = []

    def make(name: str, *rules: str) -> str:
        direct.execute_command("ACL", "SETUSER", name, "reset", "on", f">{PASSWORD}", f">{name}-pw", *rules)
        made.append(name)
        return name

    yield make
    for name in made:
        direct.execute_command("ACL", "DELUSER", name)


def login(port: int, user: str) -> RawClient:
    c = RawClient(port)
    assert c("AUTH", user, PASSWORD) == b"+OK\r\n"
    return c


def pipeline(c: RawClient, *commands: tuple) -> list[bytes]:
    c.send_raw(b"".join(encode_command([str(a).encode() for a in cmd]) for cmd in commands))
    return [c.read() for _ in commands]


def direct_client(valkey_url: str, user: str) -> RawClient:
    return login(int(valkey_url.rsplit(":", 1)[1]), user)


# One command of each kind per family: (write, read), on key `app:<n>` (allowed) or `no:<n>`.
FAMILY_COMMANDS = [
    (("EXSET", "{k}", "v"), ("EXGET", "{k}")),
    (("EXHSET", "{k}", "f", "v"), ("EXHGET", "{k}", "f")),
    (("EXZADD", "{k}", "1#2", "m"), ("EXZSCORE", "{k}", "m")),
    (("BF.ADD", "{k}", "x"), ("BF.EXISTS", "{k}", "x")),
    (("GIS.ADD", "{k}", "p", "POINT (1 2)"), ("GIS.GET", "{k}", "p")),
    (("JSON.SET", "{k}", "$", '{"a":1}'), ("JSON.GET", "{k}", "$.a")),
]


def _fill(cmd: tuple, key: str) -> tuple:
    return tuple(a.replace("{k}", key) for a in cmd)


def test_a_read_only_user_can_exget_but_not_exset(proxy, r, users):
    """The README's example, as written there (the tair client, its own exceptions)."""
    from tair import Tair

    users("reader", *READER)
    r.execute_command("EXSET", "app:greeting", "hello")
    reader = Tair(port=proxy.port, username="reader", password="reader-pw")
    try:
        assert reader.exget("app:greeting").value == b"hello"
        with pytest.raises(redis.exceptions.NoPermissionError,
                           match="^User reader has no permissions to run the 'exset' command$"):
            reader.exset("app:greeting", "bye")
        with pytest.raises(redis.exceptions.NoPermissionError, match="^No permissions to access a key$"):
            reader.exget("other:greeting")
    finally:
        reader.close()
    assert r.execute_command("EXGET", "app:greeting") == [b"hello", 1]


def test_allowed_keys_work_and_others_get_valkeys_key_denial(proxy, r, users):
    users("writer", *WRITER)
    users("reader", *READER)
    writer, reader = login(proxy.port, "writer"), login(proxy.port, "reader")
    admin = RawClient(proxy.port)
    try:
        for n, (write, read) in enumerate(FAMILY_COMMANDS):
            allowed, other = f"app:{n}", f"no:{n}"
            # The allowed key: exactly what the default user gets.
            assert writer(*_fill(write, allowed)) == admin(*_fill(write, f"app:ref{n}")), write
            assert reader(*_fill(read, allowed)) == admin(*_fill(read, f"app:ref{n}")), read
            assert writer(*_fill(read, allowed)) == admin(*_fill(read, f"app:ref{n}")), read
            # Any other key: Valkey's key denial, reads and writes alike.
            assert writer(*_fill(write, other)) == KEY_DENIED, write
            assert reader(*_fill(read, other)) == KEY_DENIED, read
            # A read-only user's write is a command denial naming the Tair command.
            assert reader(*_fill(write, allowed)) == denied("reader", write[0].lower()), write
        assert r.exists("no:0", "no:1", "no:2", "no:3", "no:4", "no:5") == 0
    finally:
        writer.close()
        reader.close()
        admin.close()


def test_a_multi_key_command_needs_every_key(proxy, users):
    users("writer", *WRITER)
    c = login(proxy.port, "writer")
    try:
        assert c("EXZADD", "app:a", "1", "m") == b":1\r\n"
        assert c("EXZUNIONSTORE", "app:d", "2", "app:a", "no:b") == KEY_DENIED
        assert c("EXZUNIONSTORE", "app:d", "2", "app:a", "app:b") == b":1\r\n"
    finally:
        c.close()


def test_command_denials_name_the_tair_command_never_fcall(proxy, users, direct):
    users("noscript", "~*", "+@all", "-@scripting")
    users("noread", "~*", "+@all", "-fcall_ro")
    users("nohash", "~*", "+@all", "-@hash")  # the library stores TairString in a native hash
    a, b, c = login(proxy.port, "noscript"), login(proxy.port, "noread"), login(proxy.port, "nohash")
    try:
        assert a("EXSET", "k", "v") == denied("noscript", "exset")
        assert a("EXHGET", "k", "f") == denied("noscript", "exhget")
        assert a("BF.MADD", "k", "x", "y") == denied("noscript", "bf.madd")
        assert a("JSON.GET", "k") == denied("noscript", "json.get")
        assert b("EXSET", "k", "v") == b"+OK\r\n"
        assert b("EXGET", "k") == denied("noread", "exget")
        # Refused inside the function (HMGET or HGET, HSET): still the Tair command's NOPERM — not a
        # WRONGTYPE, not "ACL failure in script", not the native command's name.
        assert c("EXGET", "k") == denied("nohash", "exget")
        assert c("EXSET", "k", "w") == denied("nohash", "exset")
        entry = direct.execute_command("ACL", "LOG", "1")[0]
        # Valkey's ACL LOG still says which native command was missing, for the administrator.
        entry = dict(zip(entry[::2], entry[1::2], strict=True))
        assert entry[b"username"] == b"nohash" and entry[b"context"] == b"lua"
        assert entry[b"object"] in (b"hmget", b"hget", b"hset")
    finally:
        for client in (a, b, c):
            client.close()


def test_what_valkey_says_for_native_commands_passes_unchanged(proxy, users, valkey_url):
    """Category, key and channel denials of native commands are Valkey's own bytes."""
    users("limited", "~app:*", "&chan:*", "-@all", "+get", "+publish", "+config|get")
    ours, theirs = login(proxy.port, "limited"), direct_client(valkey_url, "limited")
    try:
        for cmd in (("SET", "app:x", "1"), ("GET", "no:x"), ("PUBLISH", "other", "m"), ("PUBLISH", "chan:1", "m"),
                    ("CONFIG", "SET", "x", "y"), ("GET", "app:x")):
            assert ours(*cmd) == theirs(*cmd), cmd
        assert ours("SET", "app:x", "1") == denied("limited", "set")
        assert ours("GET", "no:x") == KEY_DENIED
        assert ours("PUBLISH", "other", "m") == CHANNEL_DENIED
        assert ours("CONFIG", "SET", "x", "y") == denied("limited", "config|set")
    finally:
        ours.close()
        theirs.close()


def test_read_only_key_permission_allows_tair_reads_only(proxy, r, users):
    users("rkeys", "%R~app:*", "+@all")
    r.execute_command("EXSET", "app:k", "v")
    c = login(proxy.port, "rkeys")
    try:
        assert c("EXGET", "app:k") == b"*2\r\n$1\r\nv\r\n:1\r\n"
        assert c("EXSET", "app:k", "w") == KEY_DENIED
    finally:
        c.close()


def test_a_pipeline_with_a_denied_key_keeps_its_order(proxy, r, users):
    """Each call is judged alone: the denied one fails, the others run in the client's order."""
    users("writer", *WRITER)
    c = login(proxy.port, "writer")
    try:
        replies = pipeline(c, ("EXSET", "app:a", "1"), ("EXSET", "no:b", "1"), ("EXSET", "app:a", "2"),
                           ("EXGET", "app:a"), ("EXHSET", "no:h", "f", "v"), ("EXGET", "app:a"), ("GET", "app:s"))
        assert replies == [b"+OK\r\n", KEY_DENIED, b"+OK\r\n", b"*2\r\n$1\r\n2\r\n:2\r\n", KEY_DENIED,
                           b"*2\r\n$1\r\n2\r\n:2\r\n", b"$-1\r\n"]
        # 200 calls, one denied in the middle: none lost, none reordered.
        calls = [("EXINCRBY", "app:n", "1")] * 100 + [("EXINCRBY", "no:n", "1")] + [("EXINCRBY", "app:n", "1")] * 99
        replies = pipeline(c, *calls, ("EXGET", "app:n"))
        expected = [b":%d\r\n" % i for i in range(1, 101)] + [KEY_DENIED] + [b":%d\r\n" % i for i in range(101, 200)]
        assert replies == [*expected, b"*2\r\n$3\r\n199\r\n:199\r\n"]
    finally:
        c.close()


def test_transactions_of_an_acl_user(proxy, r, users):
    users("reader", *READER, TRANSACTIONS)
    users("writer", *WRITER, TRANSACTIONS)
    reader, writer = login(proxy.port, "reader"), login(proxy.port, "writer")
    try:
        # Refused when queued: worded for the Tair command, and the transaction is aborted.
        assert reader("MULTI") == b"+OK\r\n"
        assert reader("EXSET", "app:t", "v") == denied("reader", "exset")
        assert reader("EXEC").startswith(b"-EXECABORT")
        # A read's argument error is an EXEC-time error, also for a user allowed only FCALL_RO.
        transaction = [("MULTI",), ("EXGET", "app:t", "extra"), ("EXEC",)]
        admin = RawClient(proxy.port)
        expected = pipeline(admin, *transaction)
        admin.close()
        assert expected[1] == b"+QUEUED\r\n" and expected[2].startswith(b"*1\r\n-ERR ")
        assert pipeline(reader, *transaction) == expected
        # A key denial at queue time is Valkey's text.
        assert writer("MULTI") == b"+OK\r\n"
        assert writer("EXSET", "app:t", "v") == b"+QUEUED\r\n"
        assert writer("EXSET", "no:t", "v") == KEY_DENIED
        assert writer("EXEC").startswith(b"-EXECABORT")
        assert r.exists("app:t") == 0
    finally:
        reader.close()
        writer.close()


def test_a_denial_inside_a_transaction_is_named_for_the_tair_command(proxy, r, users, direct):
    users("writer", *WRITER, TRANSACTIONS)
    c = login(proxy.port, "writer")
    try:
        replies = pipeline(c, ("MULTI",), ("EXSET", "app:x", "v"), ("EXGET", "app:x"))
        assert replies == [b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n"]
        # The user loses HSET between queueing and EXEC: the function is refused inside.
        direct.execute_command("ACL", "SETUSER", "writer", "-hset")
        reply = c("EXEC")
        assert reply == b"*2\r\n" + denied("writer", "exset") + b"$-1\r\n"
    finally:
        c.close()


def test_a_key_restricted_default_user_has_each_call_judged_alone(valkey_url, direct, caplog):
    """Clients that never AUTH share connections as Valkey's `default` user. Limited to some
    keys, it has a whole batch refused for one key: the calls are resent one by one, and from
    then on calls on the shared connections are not batched."""
    p = ProxyThread(valkey_url).start()
    clients = [RawClient(p.port) for _ in range(2)]
    direct.execute_command("ACL", "SETUSER", "default", "resetkeys", "~app:*")
    try:
        with caplog.at_level(logging.WARNING, logger="tairproxy.context"):
            replies = pipeline(clients[0], ("EXSET", "app:1", "a"), ("EXSET", "no:1", "b"), ("EXSET", "app:2", "c"))
        assert replies == [b"+OK\r\n", KEY_DENIED, b"+OK\r\n"]
        assert "no longer batched" in caplog.text
        assert not p.server.ctx.batching
        replies = pipeline(clients[1], ("EXSET", "app:3", "d"), ("EXGET", "app:1"), ("EXGET", "no:1"))
        assert replies == [b"+OK\r\n", b"*2\r\n$1\r\na\r\n:1\r\n", KEY_DENIED]
    finally:
        direct.execute_command("ACL", "SETUSER", "default", "resetkeys", "~*")
        for c in clients:
            c.close()
        p.stop()
    assert direct.exists("app:1", "app:2", "app:3") == 3 and not direct.exists("no:1")


def test_tair_commands_cannot_be_named_in_acl_rules(direct):
    """Valkey knows FCALL, not EXSET: Tair commands are allowed or denied as a group."""
    with pytest.raises(redis.exceptions.ResponseError, match="exset"):
        direct.execute_command("ACL", "SETUSER", "nobody", "-exset")
    assert direct.execute_command("ACL", "GETUSER", "nobody") is None
