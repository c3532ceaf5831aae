"""Sidecar mode for Valkey Cluster: clients must only ever see proxy addresses.

A tairproxy runs beside each cluster node and talks only to that node. Valkey's
own answers that name nodes — CLUSTER SLOTS / SHARDS / NODES / REPLICAS and the
MOVED / ASK redirections — are rewritten from node addresses to the matching
proxy addresses, so cluster-aware clients route through the proxies unchanged.
Sharding, replication and failover stay Valkey's.
"""

from __future__ import annotations

import binascii
import logging

from tairproxy.resp import Error, scan_reply

log = logging.getLogger(__name__)

Address = tuple[str, int]


class ClusterMap:
    """Node address → proxy address: an explicit map, else the same host with a port offset."""

    def __init__(self, mapping: dict[Address, Address] | None = None, port_offset: int | None = None):
        self.mapping = dict(mapping or {})
        self.port_offset = port_offset
        self._warned: set[Address] = set()

    @classmethod
    def parse(cls, spec: str | None, port_offset: int | None) -> ClusterMap | None:
        """``host:port=host:port,...`` and/or a port offset; None when neither is given."""
        if not spec and port_offset is None:
            return None
        mapping = {}
        for item in (spec or "").split(","):
            item = item.strip()
            if not item:
                continue
            node, sep, proxy = item.partition("=")
            if not sep:
                raise ValueError(f"cluster map entry {item!r} is not node_host:port=proxy_host:port")
            mapping[_split_address(node)] = _split_address(proxy)
        return cls(mapping, port_offset)

    def translate(self, host: str, port: int, *aliases: str) -> Address:
        """Proxy address for a node; ``aliases`` are other names of the node (hostname, endpoint)."""
        for name in (*aliases, host):
            found = self.mapping.get((name, port))
            if found is not None:
                return found
        if self.port_offset is not None:
            return host, port + self.port_offset
        if (host, port) not in self._warned:
            self._warned.add((host, port))
            log.warning("cluster node %s:%d has no proxy in the map; passing its address through", host, port)
        return host, port

    # ----- redirections ------------------------------------------------

    def rewrite_redirect(self, error: bytes) -> bytes:
        """``MOVED 3999 10.0.0.2:6379`` → the same with the proxy's address."""
        parts = error.split(b" ")
        if len(parts) != 3 or parts[0] not in (b"MOVED", b"ASK"):
            return error
        host, port = _split_address(parts[2].decode())
        new_host, new_port = self.translate(host, port)
        return b"%s %s %s" % (parts[0], parts[1], _join_address(new_host, new_port).encode())

    def rewrite_replies(self, data: bytes) -> bytes:
        """Rewrite every top-level -MOVED/-ASK reply in a run of complete replies."""
        if b"-MOVED " not in data and b"-ASK " not in data:
            return data
        out, pos = [], 0
        while pos < len(data):
            end = _scan(data, pos)
            if data.startswith((b"-MOVED ", b"-ASK "), pos):
                out.append(b"-" + self.rewrite_redirect(data[pos + 1 : end - 2]) + b"\r\n")
            else:
                out.append(data[pos:end])
            pos = end
        return b"".join(out)

    # ----- CLUSTER replies --------------------------------------------

    def rewrite_slots(self, value: object) -> object:
        if not isinstance(value, list):
            return value
        for slot_range in value:
            for node in slot_range[2:]:
                if isinstance(node, list) and len(node) >= 2 and isinstance(node[1], int):
                    meta = node[3] if len(node) > 3 else None
                    aliases = [_text(v) for v in (_field(meta, b"hostname"), _field(meta, b"ip")) if v]
                    host, port = self.translate(_text(node[0]), node[1], *aliases)
                    node[0], node[1] = host.encode(), port
                    _set_field(meta, b"hostname", host.encode())
                    _set_field(meta, b"ip", host.encode())
        return value

    def rewrite_shards(self, value: object) -> object:
        if not isinstance(value, list):
            return value
        for shard in value:
            nodes = _field(shard, b"nodes")
            for node in nodes or []:
                self._rewrite_node_fields(node)
        return value

    def _rewrite_node_fields(self, node: object) -> None:
        port = _field(node, b"port")
        host = _field(node, b"ip")
        if not isinstance(port, int) or host is None:
            return
        aliases = [_text(v) for v in (_field(node, b"hostname"), _field(node, b"endpoint")) if v]
        new_host, new_port = self.translate(_text(host), port, *aliases)
        _set_field(node, b"port", new_port)
        _set_field(node, b"ip", new_host.encode())
        _set_field(node, b"endpoint", new_host.encode())
        _set_field(node, b"hostname", new_host.encode())

    def rewrite_nodes_text(self, text: bytes) -> bytes:
        """CLUSTER NODES / REPLICAS lines: ``id ip:port@cport[,hostname] flags ...``."""
        lines = []
        for line in text.split(b"\n"):
            fields = line.split(b" ")
            if len(fields) > 1 and b"@" in fields[1]:
                addr, at, rest = fields[1].partition(b"@")
                if addr.rsplit(b":", 1)[-1].isdigit():
                    host, port = _split_address(addr.decode())
                    # rest is "cport[,hostname]": the hostname names the node too.
                    cport, _, hostname = rest.partition(b",")
                    aliases = [hostname.decode()] if hostname else []
                    new = _join_address(*self.translate(host, port, *aliases)).encode()
                    fields[1] = new + at + cport
            lines.append(b" ".join(fields))
        return b"\n".join(lines)

    def rewrite_cluster_reply(self, subcommand: bytes, value: object) -> object:
        if isinstance(value, Error):
            return value
        if subcommand == b"slots":
            return self.rewrite_slots(value)
        if subcommand == b"shards":
            return self.rewrite_shards(value)
        if isinstance(value, bytes):
            return self.rewrite_nodes_text(value)
        if isinstance(value, list):  # CLUSTER REPLICAS: one line per element
            return [self.rewrite_nodes_text(v) if isinstance(v, bytes) else v for v in value]
        return value


# Subcommands whose replies name nodes.
REWRITTEN_SUBCOMMANDS = frozenset({b"slots", b"shards", b"nodes", b"replicas", b"slaves"})


def _scan(data: bytes, pos: int) -> int:
    end = scan_reply(data, pos)
    if end < 0:
        raise ValueError("incomplete reply in a complete run")
    return end


def _split_address(text: str) -> Address:
    host, _, port = text.strip().rpartition(":")
    if not port.isdigit():
        raise ValueError(f"bad address {text!r}")
    return host.strip("[]"), int(port)


def _join_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _field(container: object, name: bytes) -> object:
    """A field of a RESP3 map (dict) or a RESP2 flat key/value list."""
    if isinstance(container, dict):
        return container.get(name)
    if isinstance(container, list):
        for i in range(0, len(container) - 1, 2):
            if container[i] == name:
                return container[i + 1]
    return None


def _set_field(container: object, name: bytes, value: object) -> None:
    if isinstance(container, dict):
        if name in container:
            container[name] = value
    elif isinstance(container, list):
        for i in range(0, len(container) - 1, 2):
            if container[i] == name:
                container[i + 1] = value
                return


def key_slot(key: bytes) -> int:
    """Valkey Cluster's hash slot of a key (CRC16-XMODEM of the key or its {hash tag})."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1 : end]
    return binascii.crc_hqx(key, 0) % 16384
