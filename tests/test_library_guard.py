"""No back door: clients cannot call the library's internal functions nor delete or replace it,
while their own functions and libraries keep working through the proxy."""

from __future__ import annotations

import pytest

from tairproxy.library import LIBRARY_NAME, library_source
from tairproxy.modules.functions import dumped_libraries
from tairproxy.resp import encode_command, parse_reply
from tests.helpers import RawClient

USER_LIB = "#!lua name=guardtest_lib\nserver.register_function('guardtest_fn', function(keys, args) return args[1] end)"
FAKE_OURS = "server.register_function('guardtest_evil', function(keys, args) return 1 end)"


@pytest.fixture
def native(valkey_url, direct):
    client = RawClient(int(valkey_url.rsplit(":", 1)[1]))
    yield client
    client.close()


def _refused(reply: bytes) -> bool:
    return reply.startswith(b"-ERR tairproxy: the 'tairproxy' library belongs to the proxy")


@pytest.mark.parametrize("command", [
    ("FCALL", "tp_exset", "1", "k", "v", "", "", "", "", "", "", "0"),
    ("FCALL", "TP_EXSET", "1", "k", "v"),
    ("FCALL_RO", "tp_exget", "1", "k", "0"),
    ("FCALL_RO", "tp_version", "0"),
    ("FCALL", "tp_raise", "0", "ERR injected"),
    ("FCALL", "tp_exset", "notanumber"),
])
def test_internal_functions_answer_as_unknown_functions(raw, native, direct, command):
    unknown = ("FCALL" if command[0] == "FCALL" else "FCALL_RO", "guardtest_nosuch", *command[2:])
    assert raw(*command) == native(*unknown) == b"-ERR Function not found\r\n"
    assert direct.exists("k") == 0


def test_internal_function_arity_is_valkeys(raw, native):
    assert raw("FCALL", "tp_exset") == native("FCALL", "tp_exset")
    assert raw("FCALL_RO") == native("FCALL_RO")


def test_internal_functions_inside_multi(raw, native):
    script = [("MULTI",), ("FCALL", "tp_exset", "1", "k", "v"), ("SET", "a", "1"), ("EXEC",)]
    unknown = [("MULTI",), ("FCALL", "guardtest_nosuch", "1", "k", "v"), ("SET", "a", "1"), ("EXEC",)]
    assert [raw(*c) for c in script] == [native(*c) for c in unknown]
    # A wrong arity still aborts the transaction at queue time, as Valkey does.
    aborted = [("MULTI",), ("FCALL_RO", "tp_exget"), ("EXEC",)]
    assert [raw(*c) for c in aborted] == [native(*c) for c in aborted]


def test_library_cannot_be_deleted(raw, r):
    assert _refused(raw("FUNCTION", "DELETE", LIBRARY_NAME))
    assert raw("MULTI") == b"+OK\r\n"
    assert raw("FUNCTION", "DELETE", LIBRARY_NAME) == b"+QUEUED\r\n"
    assert raw("SET", "after", "1") == b"+QUEUED\r\n"
    exec_reply = parse_reply(raw("EXEC"))[0]
    assert _refused(b"-" + exec_reply[0] + b"\r\n") and exec_reply[1] == b"OK"
    assert r.execute_command("EXSET", "k", "v") == b"OK"
    # Library names are case-sensitive in Valkey: another name is another (absent) library.
    assert raw("FUNCTION", "DELETE", LIBRARY_NAME.upper()) == b"-ERR Library not found\r\n"


@pytest.mark.parametrize("shebang", [
    f"#!lua name={LIBRARY_NAME}",
    f"#!LUA   Name={LIBRARY_NAME} ",
    f'#!lua "name={LIBRARY_NAME}"',
    '#!lua "name=tair\\x70roxy"\r',
])
def test_library_cannot_be_replaced(raw, r, shebang):
    code = f"{shebang}\n{FAKE_OURS}"
    assert _refused(raw("FUNCTION", "LOAD", "REPLACE", code))
    assert _refused(raw("FUNCTION", "LOAD", code))
    assert _refused(raw("function", "load", "replace", "REPLACE", code))
    assert r.execute_command("EXSET", "k", "v") == b"OK"
    assert raw("FCALL", "guardtest_evil", "0") == b"-ERR Function not found\r\n"


def test_function_load_errors_stay_valkeys(raw, native):
    code = f"#!lua name={LIBRARY_NAME}\n{FAKE_OURS}"
    for command in [("FUNCTION", "LOAD", "BOGUS", code), ("FUNCTION", "LOAD"), ("FUNCTION",),
                    ("FUNCTION", "LOAD", "#!lua name=a name=b\nreturn 1")]:
        assert raw(*command) == native(*command)


def test_users_own_functions_work(raw, native):
    raw("FUNCTION", "DELETE", "guardtest_lib")
    assert raw("FUNCTION", "LOAD", USER_LIB) == b"$13\r\nguardtest_lib\r\n"
    assert raw("FCALL", "guardtest_fn", "0", "hello") == b"$5\r\nhello\r\n"
    assert raw("FCALL", "GUARDTEST_FN", "0", "x") == b"$1\r\nx\r\n"
    assert raw("FUNCTION", "LOAD", "REPLACE", USER_LIB) == b"$13\r\nguardtest_lib\r\n"
    listed = parse_reply(raw("FUNCTION", "LIST", "LIBRARYNAME", "guardtest*"))[0]
    assert [lib[1] for lib in listed] == [b"guardtest_lib"]
    assert raw("MULTI") == b"+OK\r\n"
    assert raw("FCALL", "guardtest_fn", "0", "in-multi") == b"+QUEUED\r\n"
    assert raw("EXEC") == b"*1\r\n$8\r\nin-multi\r\n"
    assert raw("FUNCTION", "DELETE", "guardtest_lib") == b"+OK\r\n"
    assert raw("FCALL", "guardtest_fn", "0", "x") == native("FCALL", "guardtest_fn", "0", "x")


def test_function_flush_is_allowed_and_the_library_comes_back(raw, r, native):
    assert raw("FUNCTION", "FLUSH") == b"+OK\r\n"
    assert native("FUNCTION", "LIST", "LIBRARYNAME", LIBRARY_NAME) == b"*0\r\n"
    assert r.execute_command("EXSET", "k", "v") == b"OK"
    assert native("FUNCTION", "LIST", "LIBRARYNAME", LIBRARY_NAME) != b"*0\r\n"


def test_function_dump_and_stats_pass_through(raw):
    assert raw("FUNCTION", "DUMP").startswith(b"$")
    assert raw("FUNCTION", "STATS").startswith(b"*")
    pipelined = encode_command([b"FUNCTION", b"STATS"]) * 3
    raw.send_raw(pipelined)
    assert all(raw.read().startswith(b"*") for _ in range(3))


def test_dump_payload_parser_reads_valkeys_dumps(native):
    native("FUNCTION", "FLUSH")
    small = USER_LIB
    large = "#!lua name=guardtest_big\n" + "-- " + "abc" * 2000 + "\n" + FAKE_OURS
    native("FUNCTION", "LOAD", small)
    native("FUNCTION", "LOAD", large)
    native("FUNCTION", "LOAD", library_source()[0])
    payload = parse_reply(native("FUNCTION", "DUMP"))[0]
    assert sorted(dumped_libraries(payload)) == sorted(c.encode() for c in (small, large, library_source()[0]))
    with pytest.raises(ValueError):
        dumped_libraries(payload[:40] + b"\xff" * 20)
    native("FUNCTION", "FLUSH")


def test_function_restore_of_our_library_is_refused(raw, r, native):
    r.execute_command("EXSET", "k", "v")  # the library is loaded
    with_ours = parse_reply(raw("FUNCTION", "DUMP"))[0]
    for policy in ((), ("REPLACE",), ("FLUSH",), ("APPEND",)):
        assert _refused(raw("FUNCTION", "RESTORE", with_ours, *policy))
    # A dump of the user's own libraries restores through the proxy.
    native("FUNCTION", "FLUSH")
    native("FUNCTION", "LOAD", USER_LIB)
    users_only = parse_reply(native("FUNCTION", "DUMP"))[0]
    native("FUNCTION", "FLUSH")
    assert raw("FUNCTION", "RESTORE", users_only) == b"+OK\r\n"
    assert raw("FCALL", "guardtest_fn", "0", "back") == b"$4\r\nback\r\n"
    assert raw("FUNCTION", "RESTORE", b"garbage") == native("FUNCTION", "RESTORE", b"garbage")
    assert raw("FUNCTION", "DELETE", "guardtest_lib") == b"+OK\r\n"
    assert r.execute_command("EXSET", "k", "v2") == b"OK"


def test_unknown_function_of_a_client_costs_no_library_reload(raw, native):
    def loads() -> bytes:
        stats = native("INFO", "commandstats")
        return b"".join(line for line in stats.split(b"\r\n") if line.startswith(b"cmdstat_function|load:"))

    raw("EXSET", "k", "v")  # the library is loaded
    before = loads()
    for _ in range(3):
        assert raw("FCALL", "guardtest_nosuch", "0") == b"-ERR Function not found\r\n"
    assert loads() == before
