"""Reference proxies measured in the same run as tairproxy, so its ratios have anchors:
haproxy in TCP mode (a hop with zero logic: what any 1:1 proxy at least costs) and
twemproxy/nutcracker (a C multiplexing Redis proxy: many unpipelined clients become one
pipelined stream). Both come from Debian (apt-get install haproxy nutcracker); a missing
one is reported as "not installed", never silently skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from tairproxy.embedded import free_port, stop_process
from tairproxy.upstream import UpstreamAddress


class AnchorProcess:
    name = ""
    binary = ""

    def __init__(self, valkey: UpstreamAddress, workdir: Path):
        self.valkey = valkey
        self.workdir = workdir
        self.port = free_port()
        self.address = UpstreamAddress(host="127.0.0.1", port=self.port)
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def installed(cls) -> bool:
        return shutil.which(cls.binary) is not None or Path("/usr/sbin", cls.binary).exists()

    def _binary(self) -> str:
        return shutil.which(self.binary) or str(Path("/usr/sbin", self.binary))

    def argv(self) -> list[str]:
        raise NotImplementedError

    def start(self, answers, timeout: float = 10.0) -> None:
        log = open(self.workdir / f"{self.name}.log", "wb")
        self.process = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up; see {self.workdir / (self.name + '.log')}")
            if answers(self.address):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout}s")

    def stop(self) -> None:
        proc, self.process = self.process, None
        stop_process(proc, 5)


class Haproxy(AnchorProcess):
    name = "haproxy"
    binary = "haproxy"

    def argv(self) -> list[str]:
        config = self.workdir / "haproxy.cfg"
        config.write_text(
            "global\n  maxconn 4096\n"
            "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 1h\n  timeout server 1h\n"
            f"frontend valkey\n  bind 127.0.0.1:{self.port}\n  default_backend valkey\n"
            f"backend valkey\n  server v {self.valkey.host}:{self.valkey.port}\n"
        )
        return [self._binary(), "-f", str(config), "-db"]


class Twemproxy(AnchorProcess):
    name = "twemproxy"
    binary = "nutcracker"

    def argv(self) -> list[str]:
        config = self.workdir / "nutcracker.yml"
        config.write_text(
            "valkey:\n"
            f"  listen: 127.0.0.1:{self.port}\n"
            "  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n"
            "  auto_eject_hosts: false\n  server_connections: 1\n"
            f"  servers:\n    - {self.valkey.host}:{self.valkey.port}:1\n"
        )
        return [self._binary(), "-c", str(config), "-o", str(self.workdir / "nutcracker.out"),
                "-s", str(free_port())]


ANCHORS = (Haproxy, Twemproxy)
