"""The pytest plugin a user's own test suite gets by installing tairproxy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

USER_TESTS = '''
import redis

def test_tair_commands_work(tair):
    assert tair.exset("user:1", "alice")
    assert tair.exget("user:1").value == b"alice"
    assert tair.exhset("h", "f", "v") == 1

def test_each_test_starts_flushed(tair):
    assert tair.dbsize() == 0

def test_any_client_can_use_the_url(tair_server):
    assert tair_server.startswith("redis://127.0.0.1:")
    c = redis.Redis.from_url(tair_server)
    assert c.execute_command("EXSET", "k", "v") == b"OK"
    assert c.type("k") == b"exstrtype"
'''


def test_a_users_suite_gets_a_tair_server_and_a_flushed_tair_client(pytester):
    pytester.makepyfile(test_user=USER_TESTS)
    # A subprocess, as a user's run: the plugin must come from the installed entry point.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_readme_example_passes_as_written(pytester):
    (example,) = re.findall(r"```python\n# (test_\w+)\.py\n(.*?)```", README.read_text(), re.S)
    name, code = example
    assert len(code.strip().splitlines()) <= 5
    pytester.makepyfile(**{name: code})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_server_is_started_once_per_session_and_stopped_after(pytester):
    pytester.makepyfile(test_user='''
import os, pathlib, redis
seen = []

def test_one(tair_server):
    seen.append(tair_server)

def test_two(tair_server):
    assert seen == [tair_server]
    pathlib.Path("url.txt").write_text(tair_server)
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    import redis

    url = (pytester.path / "url.txt").read_text()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        raise AssertionError("the server outlived the test session")
    except redis.ConnectionError:
        pass


def test_importing_the_plugin_costs_nothing_when_unused():
    code = ("import sys, tairproxy.pytest_plugin; "
            "print(sorted(m for m in sys.modules if m.startswith(('tairproxy', 'asyncio', 'redis', 'tair'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['tairproxy', 'tairproxy.pytest_plugin']"


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    from importlib.metadata import entry_points

    (ep,) = [ep for ep in entry_points(group="pytest11") if ep.value == "tairproxy.pytest_plugin"]
    assert ep.name == "tairproxy"
