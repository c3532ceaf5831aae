"""Every flag and TAIRPROXY_* variable is validated with a one-line error; help for every flag."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tairproxy
from tairproxy.options import OPTIONS, UsageError, build_parser, default_data_dir, parse_args


@pytest.mark.parametrize(
    "argv, env, expected",
    [
        (["--port", "70000"], {}, "--port 70000: not a port number (0-65535)"),
        (["--port", "-1"], {}, "--port -1: not a port number (0-65535)"),
        ([], {"TAIRPROXY_PORT": "abc"}, "TAIRPROXY_PORT=abc: not a port number (0-65535)"),
        (["--valkey-port", "65536"], {}, "--valkey-port 65536: not a port number (0-65535)"),
        (["--workers", "0"], {}, "--workers 0: not a number of workers (1-256)"),
        (["--workers", "-3"], {}, "--workers -3: not a number of workers (1-256)"),
        ([], {"TAIRPROXY_WORKERS": "two"}, "TAIRPROXY_WORKERS=two: not a number of workers (1-256)"),
        (["--log-level", "bogus"], {}, "--log-level bogus: not one of debug, info, warning, error, critical"),
        (["--log-format", "xml"], {}, "--log-format xml: not one of text, json"),
        (["--max-bulk-len", "0"], {}, "--max-bulk-len 0: must be at least 1 byte"),
        (["--max-bulk-len", "ten"], {}, "--max-bulk-len ten: not a size in bytes (e.g. 536870912, 512mb, 1gb)"),
        (["--client-output-limit", "lots"], {}, "--client-output-limit lots: not a size in bytes (e.g. 536870912, 512mb, 1gb)"),
        (["--upstream", "ftp://host"], {}, "--upstream ftp://host: unsupported upstream scheme 'ftp'"),
        (["--upstream", "redis://host:99999"], {}, "--upstream redis://host:99999: Port out of range 0-65535"),
        (["--stats-interval", "-1"], {}, "--stats-interval -1: must be a number of seconds (0 = off)"),
        (["--valkey-start-timeout", "0"], {}, "--valkey-start-timeout 0: must be a number of seconds above 0"),
        (["--tls-cert-file", "/no/such.pem"], {}, "--tls-cert-file /no/such.pem: no such file"),
        (["--cluster-map", "a:1"], {}, "--cluster-map a:1: cluster map entry 'a:1' is not node_host:port=proxy_host:port"),
        (["--cluster-port-offset", "x"], {}, "--cluster-port-offset x: not a port offset"),
        (["--bind", " "], {}, "--bind  : needs at least one address"),
    ],
)
def test_bad_values_are_one_line_errors_naming_their_source(argv, env, expected):
    with pytest.raises(UsageError) as err:
        parse_args(argv, environ=env)
    assert str(err.value) == expected


def test_flag_beats_variable_beats_default(tmp_path):
    env = {"TAIRPROXY_PORT": "7000", "TAIRPROXY_WORKERS": "3", "TAIRPROXY_MAX_BULK_LEN": "1mb"}
    args = parse_args(["--port", "7001", "--data-dir", str(tmp_path)], environ=env)
    assert (args.port, args.workers, args.max_bulk_len) == (7001, 3, 1024 * 1024)
    assert args.data_dir == tmp_path.resolve()
    defaults = parse_args([], environ={})
    assert (defaults.port, defaults.workers, defaults.log_level, defaults.log_format) == (6380, 1, "info", "text")
    assert defaults.max_bulk_len == 512 * 1024 * 1024 and defaults.upstream is None
    assert parse_args([], environ={"TAIRPROXY_PORT": ""}).port == 6380  # empty = unset


def test_client_output_limit_takes_units_and_zero_for_none():
    assert parse_args([], environ={}).client_output_limit == 256 * 1024 * 1024
    assert parse_args(["--client-output-limit", "8mb"], environ={}).client_output_limit == 8 * 1024 * 1024
    assert parse_args([], environ={"TAIRPROXY_CLIENT_OUTPUT_LIMIT": "0"}).client_output_limit == 0


def test_default_data_dir_does_not_depend_on_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "tairproxy"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    first = parse_args([], environ={}).data_dir
    monkeypatch.chdir(tmp_path)
    assert parse_args([], environ={}).data_dir == first == tmp_path / "home" / ".local" / "share" / "tairproxy"


def test_every_flag_has_help_naming_its_variable():
    helps = {a.option_strings[0]: a.help for a in build_parser()._actions if a.option_strings}
    for opt in OPTIONS:
        assert opt.flag in helps
        assert len(helps[opt.flag]) > 20 and helps[opt.flag].endswith(f"[{opt.env}]")
    assert helps["--version"]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TAIRPROXY_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "tairproxy", *args], capture_output=True, text=True,
                          timeout=30, env=full_env)


@pytest.mark.parametrize(
    "args, env, expected",
    [
        ((), {"TAIRPROXY_PORT": "abc"}, "tairproxy: TAIRPROXY_PORT=abc: not a port number (0-65535)"),
        (("--log-level", "bogus"), {}, "tairproxy: --log-level bogus: not one of debug, info, warning, error, critical"),
        (("--no-such-flag",), {}, "tairproxy: unrecognized arguments: --no-such-flag (see tairproxy --help)"),
    ],
)
def test_the_command_prints_one_line_and_no_traceback(args, env, expected):
    proc = _run(*args, env=env)
    assert proc.returncode == 2
    assert proc.stderr == expected + "\n"
    assert proc.stdout == ""


def test_version_and_help():
    proc = _run("--version")
    assert proc.returncode == 0 and proc.stdout == f"tairproxy {tairproxy.__version__}\n"
    from importlib.metadata import version

    assert version("tairproxy") == tairproxy.__version__  # one source for the version
    helptext = _run("--help").stdout
    for opt in OPTIONS:
        assert opt.flag in helptext and opt.env in helptext


def test_pyproject_takes_the_version_from_the_package():
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and 'attr = "tairproxy.__version__"' in text


def test_the_readme_options_table_lists_every_flag_and_variable():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme[readme.index("### Options"):readme.index("## Operations")]
    rows = [line for line in table.splitlines() if line.startswith("| `--")]
    for opt in OPTIONS:
        (row,) = [r for r in rows if f"`{opt.flag} " in r or f"`{opt.flag}`" in r]
        assert f"`{opt.env}`" in row
