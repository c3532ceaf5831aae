#!/usr/bin/env python3
"""Keys per second of ``tairproxy migrate`` for small keys, one type at a time.

Starts two valkey-servers with a proxy in front of each (source and target, as a migration off a
tairproxy would run), loads N small keys of one type into the source, times one
``python -m tairproxy migrate`` run (process start included) and checks the target's DBSIZE.

    python bench/migrate_bench.py                 # 100 000 keys of each type
    python bench/migrate_bench.py --keys 20000 --only string TairString

All four servers and the migration share the machine's cores (printed in the header).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tairproxy.embedded import EmbeddedValkey, free_port, stop_process
from tairproxy.sync_client import SyncClient

# One small key of each type: the commands that create key number i.
LOADERS = {
    "string": lambda k, i: [(b"SET", k, b"value-%d" % i)],
    "TairString": lambda k, i: [(b"EXSET", k, b"value-%d" % i, b"ABS", b"%d" % (i % 7 + 1))],
    "TairHash": lambda k, i: [(b"EXHMSET", k, b"a", b"1", b"b", b"2", b"c", b"%d" % i)],
    "TairZset": lambda k, i: [(b"EXZADD", k, b"1#2", b"a", b"3#4", b"b", b"%d#0" % i, b"c")],
    "TairGis": lambda k, i: [(b"GIS.ADD", k, b"p", b"POINT (%d 1)" % (i % 170))],
    "hash": lambda k, i: [(b"HSET", k, b"a", b"1", b"b", b"%d" % i)],
}
LOAD_PIPELINE = 5000


def start_proxy(upstream: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tairproxy", "--upstream", upstream, "--port", str(port), "--log-level", "WARNING"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            SyncClient(url, timeout=1).close()
            return proc, url
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"proxy did not start: {log.read_text()}")


def load(url: str, kind: str, n: int) -> None:
    client = SyncClient(url)
    make = LOADERS[kind]
    for start in range(0, n, LOAD_PIPELINE):
        cmds = [c for i in range(start, min(n, start + LOAD_PIPELINE)) for c in make(b"k:%d" % i, i)]
        errors = [r for r in client.pipeline(cmds) if isinstance(r, Exception)]
        if errors:
            raise RuntimeError(f"loading {kind}: {errors[0]}")
    client.close()


def measure(kind: str, n: int, source: str, target: str, tmp: Path, batch: int) -> float:
    for url in (source, target):
        SyncClient(url).call(b"FLUSHALL")
    load(source, kind, n)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "tairproxy", "migrate", "--from", source, "--to", target,
         "--batch", str(batch), "--checkpoint", str(tmp / "checkpoint")],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - started
    copied = SyncClient(target).call(b"DBSIZE")
    if copied != n:
        raise RuntimeError(f"{kind}: {copied} of {n} keys on the target")
    return n / elapsed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keys", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--only", nargs="*", choices=sorted(LOADERS), default=list(LOADERS))
    args = p.parse_args()
    print(f"# {os.cpu_count()} cores; {args.keys:,} keys per type; --batch {args.batch}")
    with tempfile.TemporaryDirectory(prefix="migrate-bench-") as d:
        tmp = Path(d)
        servers = [EmbeddedValkey(tmp / name) for name in ("source", "target")]
        proxies = []
        try:
            for s in servers:
                s.start()
            proxies = [start_proxy(s.url, tmp / f"proxy{i}.log") for i, s in enumerate(servers)]
            (_, source), (_, target) = proxies
            print("| type | keys/s |\n|:---|---:|")
            for kind in args.only:
                print(f"| {kind} | {measure(kind, args.keys, source, target, tmp, args.batch):,.0f} |", flush=True)
        finally:
            for proc, _ in proxies:
                stop_process(proc)
            for s in servers:
                s.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
