"""The C framing functions and their Python versions give the same answers (the proxy uses
whichever is there), on valid, cut and malformed input."""

from __future__ import annotations

import random

import pytest

from tairproxy import framing
from tairproxy.resp import encode_command

pytestmark = pytest.mark.skipif(not framing.ACCELERATED, reason="the C accelerator was not built here")

REPLIES = [b"+OK\r\n", b"-ERR x\r\n", b":12\r\n", b"$3\r\nabc\r\n", b"$-1\r\n", b"*-1\r\n", b"*0\r\n",
           b"*2\r\n$1\r\na\r\n:1\r\n", b"%1\r\n+a\r\n:2\r\n", b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n",
           b"_\r\n", b",1.5\r\n", b"#t\r\n", b"|1\r\n+k\r\n+v\r\n:5\r\n", b"$10\r\n0123456789\r\n",
           b"*3\r\n*1\r\n$0\r\n\r\n$2\r\nxy\r\n~1\r\n:0\r\n"]


def _command(rng: random.Random) -> bytes:
    args = [rng.choice([b"GET", b"set", b"EXSET", b"Ping", b"x" * rng.randint(0, 80)])]
    args += [bytes(rng.randrange(256) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(0, 4))]
    return encode_command(args)


MALFORMED = [b"PING\r\n", b"*1\r\n:1\r\n", b"*2\r\n$03\r\nGET\r\n$1\r\na\r\n", b"*x\r\n", b"*1\r\n+OK\r\n",
             b"*1\r\n$-1\r\n", b"*0\r\n", b"\r\n", b"*1\r\n$99999999999\r\n"]


def test_commands_agree_on_random_streams():
    rng = random.Random(3)
    for _ in range(3000):
        parts = [_command(rng) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.3:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(MALFORMED))
        stream = b"".join(parts)
        cut = stream[: rng.randint(0, len(stream))]
        max_bulk = rng.choice([5, 50, 1 << 20])
        c_spans, c_status = framing.scan_commands(bytearray(cut), 0, max_bulk)
        p_spans, p_status = framing.py_scan_commands(bytearray(cut), 0, max_bulk)
        assert c_spans == p_spans, cut
        assert (c_status == framing.MORE) == (p_status == framing.MORE), cut
        for (_end, _), start in zip(c_spans, [0] + [e for e, _ in c_spans], strict=False):
            assert framing.parse_command(bytearray(cut), start) == framing.py_parse_command(bytearray(cut), start)


def test_replies_agree_on_random_streams():
    rng = random.Random(4)
    for _ in range(3000):
        stream = b"".join(rng.choice(REPLIES) for _ in range(rng.randint(1, 8)))
        cut = bytearray(stream[: rng.randint(0, len(stream))])
        n = rng.randint(1, 8)
        stop = rng.choice([b"", b">", b">-"])
        assert framing.scan_replies(cut, 0, n, stop) == framing.py_scan_replies(cut, 0, n, stop), (cut, n, stop)


def test_an_unparsable_reply_is_an_error_in_both():
    for scan in (framing.scan_replies, framing.py_scan_replies):
        with pytest.raises(ValueError):
            scan(bytearray(b"+OK\r\n?what\r\n"), 0, 5, b"")


def test_encode_command_agrees_with_python():
    from tairproxy import resp

    rng = random.Random(5)
    for _ in range(3000):
        args = [bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 9, 10, 99, 1023, 1024, 5000])))
                for _ in range(rng.randint(0, 8))]
        as_given = [rng.choice([bytes, bytearray, memoryview])(a) for a in args]
        want = resp.py_encode_command(args)
        assert resp.encode_command(args) == want
        assert resp.encode_command(tuple(args)) == want
        assert resp.encode_command(as_given) == want
    with pytest.raises(TypeError):
        resp.encode_command([b"GET", "not bytes"])
