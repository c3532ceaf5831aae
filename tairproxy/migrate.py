"""``tairproxy migrate --from URL --to URL``: copy a live Tair (or a tairproxy) into Valkey
through a tairproxy, keeping what a client can observe (values, versions, flags, field TTLs,
multi-dimensional scores, geometries, documents, key TTLs).

Keys are found with SCAN, their type with TYPE, and read and written in batches: one pipeline
per round on each side, the target's writes of one batch in flight while the next batch is read.
After each batch the SCAN cursor goes to a checkpoint file, so ``--resume`` continues a killed
run; a key copied twice is the same key (writes delete first and set absolute versions).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import hiredis

from tairproxy.migrate_report import Progress, Stats, summary_table
from tairproxy.migrate_types import (
    KINDS,
    VANISHED,
    KeyFailed,
    Kind,
    Native,
    TairBloom,
    payload_rejected,
    ttl_close,
)
from tairproxy.sync_client import SyncClient
from tairproxy.upstream import UpstreamAddress

DEFAULT_CHECKPOINT = "tairproxy-migrate.checkpoint"
SHOWN_DIFFERENCES = 20
DEFAULT_LANES = 4


@dataclass(slots=True)
class Item:
    """One key of a batch: what TYPE said, its TTL, its content or why it has none."""

    key: bytes
    type_name: bytes
    pttl: int
    kind: Kind | None = None
    content: object = None
    outcome: tuple[str, str] | None = None  # ("skipped"|"failed"|"vanished", reason)

    @property
    def label(self) -> str:
        return self.kind.label if self.kind else self.type_name.decode(errors="replace")


def select(client: SyncClient, db: int) -> None:
    reply = client.call(b"SELECT", b"%d" % db)
    if isinstance(reply, hiredis.ReplyError):
        raise SystemExit(f"tairproxy migrate: SELECT {db} on {client}: {reply}")


class Lane:
    """A source and a target connection that copy one batch at a time; several lanes overlap
    one batch's reads with another's writes."""

    def __init__(self, source: str, target: str):
        self.source = SyncClient(source)
        self.target = SyncClient(target)
        self.db: int | None = None

    def select(self, db: int) -> None:
        if db != self.db:
            select(self.source, db)
            select(self.target, db)
            self.db = db

    def close(self) -> None:
        self.source.close()
        self.target.close()


def queue_writes(target: SyncClient, items: list[Item]) -> list[tuple[Item, int, int]]:
    """Send the writes of every readable key; (item, first command, commands) per key."""
    cmds, spans = [], []
    for item in items:
        if item.outcome is None:
            write = item.kind.write(item.key, item.content, item.pttl)
            spans.append((item, len(cmds), len(write)))
            cmds += write
    if cmds:
        target.start(cmds)
    return spans


def judge_writes(target: SyncClient, spans: list[tuple[Item, int, int]]) -> list[Item]:
    """Read the target's replies; a key's first error is its outcome. Returns the keys whose
    DUMP payload the target refused (to be copied type by type)."""
    replies = target.finish() if spans else []
    refused = []
    for item, start, count in spans:
        error = next((r for r in replies[start : start + count] if isinstance(r, hiredis.ReplyError)), None)
        if error is None:
            continue
        if not payload_rejected(str(error)):
            item.outcome = ("failed", str(error))
        elif isinstance(item.kind, TairBloom):
            item.outcome = ("skipped", TairBloom.SKIP_REASON)
        else:
            refused.append(item)
    return refused


def unsupported(item: Item) -> str:
    return f"TYPE answers {item.type_name.decode(errors='replace')!r}, which the migration does not know"


def read_batch(client: SyncClient, keys: list[bytes], *, dumps: bool = True, content: bool = False) -> list[Item]:
    """TYPE and PTTL of every key, then each key's reader, all keys' rounds sharing one pipeline.

    ``content`` reads every key through its type's own commands (what --verify compares);
    without it native keys travel as DUMP payloads while ``dumps`` holds.
    """
    replies = client.pipeline([c for k in keys for c in ((b"TYPE", k), (b"PTTL", k))])
    items, readers = [], []
    for i, key in enumerate(keys):
        type_name, pttl = replies[2 * i], replies[2 * i + 1]
        item = Item(key, type_name if isinstance(type_name, bytes) else b"?", pttl if isinstance(pttl, int) else -1)
        items.append(item)
        if isinstance(type_name, hiredis.ReplyError) or isinstance(pttl, hiredis.ReplyError):
            item.outcome = ("failed", str(type_name if isinstance(type_name, hiredis.ReplyError) else pttl))
            continue
        if type_name == b"none" or pttl == -2:
            item.outcome = ("vanished", "")
            continue
        item.kind = KINDS.get(type_name)
        if item.kind is None:
            item.outcome = ("skipped", unsupported(item))
            continue
        if not dumps and not content and isinstance(item.kind, TairBloom):
            item.outcome = ("skipped", TairBloom.SKIP_REASON)
            continue
        use_content = content or (not dumps and isinstance(item.kind, Native))
        readers.append((item, item.kind.read_content(key) if use_content else item.kind.read(key)))
    _drive(client, readers)
    return items


def _drive(client: SyncClient, readers: list) -> None:
    """Run every reader generator to its end, one shared pipeline per round."""
    active = []
    for item, reader in readers:
        _step(item, reader, None, active)
    while active:
        replies = client.pipeline([c for _, _, cmds in active for c in cmds])
        rounds, active, pos = active, [], 0
        for item, reader, cmds in rounds:
            _step(item, reader, replies[pos : pos + len(cmds)], active)
            pos += len(cmds)


def _step(item: Item, reader, replies: list | None, active: list) -> None:
    try:
        cmds = reader.send(replies)
    except StopIteration as done:
        if done.value is VANISHED:
            item.outcome = ("vanished", "")
        else:
            item.content = done.value
        return
    except KeyFailed as exc:
        item.outcome = ("failed", str(exc))
        return
    active.append((item, reader, cmds))


class Migration:
    def __init__(self, args: argparse.Namespace, source: SyncClient, target: SyncClient | None):
        self.args = args
        self.source = source
        self.target = target
        self.match = args.match.encode() if args.match else None
        self.stats = Stats()
        # Native keys travel as DUMP payloads until the target refuses one (or --no-dump).
        self.dumps = not args.no_dump
        self.dbs: list[int] = []
        self.start_db_index = 0
        self.start_cursor = 0
        self.progress: Progress | None = None

    # ----- where keys are ------------------------------------------------

    def keys_per_db(self) -> dict[int, int]:
        info = self.source.call(b"INFO", b"keyspace")
        counts = {}
        for line in info.decode().splitlines():
            if line.startswith("db") and ":" in line:
                name, fields = line.split(":", 1)
                counts[int(name[2:])] = int(dict(f.split("=") for f in fields.split(","))["keys"])
        return counts

    def choose_dbs(self) -> int:
        """The databases to copy (--db, else every non-empty one) and how many keys they hold."""
        counts = self.keys_per_db()
        self.dbs = sorted(self.args.db) if self.args.db else sorted(counts)
        return sum(counts.get(db, 0) for db in self.dbs)

    def scan(self, cursor: int) -> tuple[int, list[bytes]]:
        cmd = [b"SCAN", b"%d" % cursor]
        if self.match:
            cmd += [b"MATCH", self.match]
        reply = self.source.call(*cmd, b"COUNT", b"%d" % self.args.batch)
        if isinstance(reply, hiredis.ReplyError):
            raise SystemExit(f"tairproxy migrate: SCAN on {self.source}: {reply}")
        return int(reply[0]), reply[1]

    def batches(self):
        """(db index, cursor after the batch, keys) for every SCAN batch from the start point."""
        for index in range(self.start_db_index, len(self.dbs)):
            select(self.source, self.dbs[index])
            cursor = self.start_cursor if index == self.start_db_index else 0
            while True:
                cursor, keys = self.scan(cursor)
                yield index, cursor, keys
                if cursor == 0:
                    break

    # ----- copying -------------------------------------------------------

    def copy(self) -> None:
        """Batches go to the lanes in SCAN order; the checkpoint follows the last batch done in order."""
        lanes = [Lane(self.args.source, self.args.target) for _ in range(self.args.lanes)]
        free: queue.Queue[Lane] = queue.Queue()
        for lane in lanes:
            free.put(lane)
        inflight: deque = deque()
        try:
            with ThreadPoolExecutor(len(lanes)) as pool:
                try:
                    for index, cursor, keys in self.batches():
                        lane = free.get()
                        inflight.append((pool.submit(self.copy_batch, lane, free, index, keys), index, cursor))
                        while inflight and inflight[0][0].done():
                            self.complete(*inflight.popleft())
                    while inflight:
                        self.complete(*inflight.popleft())
                finally:
                    for future, _, _ in inflight:
                        future.cancel()
        finally:
            for lane in lanes:
                lane.close()
        self.save_checkpoint(len(self.dbs), 0, finished=True)

    def copy_batch(self, lane: Lane, free: queue.Queue, db_index: int, keys: list[bytes]) -> list[Item]:
        try:
            lane.select(self.dbs[db_index])
            items = read_batch(lane.source, keys, dumps=self.dumps)
            refused = judge_writes(lane.target, queue_writes(lane.target, items))
            if refused:
                # The target cannot load this source's payloads (module types, a newer RDB
                # version): these keys and every later native key are copied type by type.
                self.dumps = False
                again = {i.key: i for i in read_batch(lane.source, [i.key for i in refused], dumps=False)}
                judge_writes(lane.target, queue_writes(lane.target, list(again.values())))
                items = [again.get(item.key, item) for item in items]
            return items
        finally:
            free.put(lane)

    def complete(self, future, db_index: int, cursor: int) -> None:
        items = future.result()
        for item in items:
            self.record(item)
        self.stats.seen += len(items)
        # Cursor 0 after a batch: that database is done, a resumed run starts with the next one.
        self.save_checkpoint(db_index + 1 if cursor == 0 else db_index, cursor)
        if self.progress:
            self.progress.advance(len(items))

    def record(self, item: Item) -> None:
        if item.outcome is None:
            self.stats.copied[item.label] += 1
        elif item.outcome[0] == "vanished":
            self.stats.vanished += 1
        else:
            counter = self.stats.skipped if item.outcome[0] == "skipped" else self.stats.failed
            counter[(item.label, item.outcome[1])] += 1

    # ----- checkpoint ----------------------------------------------------

    def identity(self) -> dict:
        return {
            "from": str(UpstreamAddress.parse(self.args.source)),
            "to": str(UpstreamAddress.parse(self.args.target)),
            "match": self.args.match,
            "dbs": self.dbs,
        }

    def save_checkpoint(self, db_index: int, cursor: int, finished: bool = False) -> None:
        state = {**self.identity(), "db_index": db_index, "cursor": cursor, "finished": finished,
                 "stats": self.stats.to_json()}
        path = Path(self.args.checkpoint)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, path)  # a kill never leaves half a checkpoint

    def load_checkpoint(self) -> bool:
        """Continue from the checkpoint; False when nothing is left to copy."""
        path = Path(self.args.checkpoint)
        try:
            state = json.loads(path.read_text())
        except FileNotFoundError:
            raise SystemExit(f"tairproxy migrate: no checkpoint at {path} to resume from") from None
        identity = self.identity()
        self.dbs = identity["dbs"] = state["dbs"]
        if any(state.get(k) != v for k, v in identity.items()):
            raise SystemExit(
                f"tairproxy migrate: {path} belongs to another migration "
                f"(from {state.get('from')} to {state.get('to')}, match {state.get('match')!r}, dbs {state.get('dbs')})"
            )
        self.stats = Stats.from_json(state["stats"])
        self.start_db_index, self.start_cursor = state["db_index"], state["cursor"]
        return not state["finished"] and self.start_db_index < len(self.dbs)

    # ----- dry run and verification ---------------------------------------

    def dry_run(self) -> None:
        for _, _, keys in self.batches():
            types = self.source.pipeline([(b"TYPE", k) for k in keys]) if keys else []
            for type_name in types:
                item = Item(b"", type_name if isinstance(type_name, bytes) else b"?", -1, KINDS.get(type_name))
                if isinstance(type_name, hiredis.ReplyError):
                    self.stats.failed[("?", str(type_name))] += 1
                elif type_name == b"none":
                    self.stats.vanished += 1
                elif item.kind is None:
                    self.stats.skipped[(item.label, unsupported(item))] += 1
                else:
                    self.stats.copied[item.label] += 1
            self.progress.advance(len(keys))

    def verify(self) -> list[str]:
        """Re-read every key from both sides; one line per key that differs."""
        differences: list[str] = []
        stats = Stats()
        target_db = None
        for index, _, keys in self.batches():
            if not keys:
                continue
            if target_db != self.dbs[index]:
                target_db = self.dbs[index]
                select(self.target, target_db)
            ours = read_batch(self.source, keys, content=True)
            theirs = {item.key: item for item in read_batch(self.target, keys, content=True)}
            for item in ours:
                if item.outcome is not None and item.outcome[0] == "vanished":
                    stats.vanished += 1
                    continue
                problem = _difference(item, theirs[item.key])
                if problem is None:
                    stats.copied[item.label] += 1
                else:
                    stats.failed[(item.label, problem.split(":")[0])] += 1
                    differences.append(f"db {self.dbs[index]} key {item.key!r}: {problem}")
            self.progress.advance(len(keys))
        self.verified = stats
        return differences


def _difference(source: Item, target: Item) -> str | None:
    if source.outcome is not None:
        return f"unreadable on the source: {source.outcome[1]}"
    if target.outcome is not None:
        if target.outcome[0] == "vanished":
            return "missing on the target"
        return f"unreadable on the target: {target.outcome[1]}"
    if source.kind is not target.kind:
        return f"type differs: {source.label} on the source, {target.label} on the target"
    if not source.kind.same(source.content, target.content):
        return "content differs"
    if not ttl_close(source.pttl, target.pttl):
        return f"TTL differs: {source.pttl} ms on the source, {target.pttl} ms on the target"
    return None


# ----- command line ------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="tairproxy migrate",
        description="Copy every key of a live Tair (or tairproxy) into Valkey through a tairproxy: "
        "Tair types with their versions, flags, field TTLs and scores, native keys by DUMP/RESTORE.",
    )
    p.add_argument("--from", dest="source", required=True, metavar="URL", help="source: redis://[user:pass@]host:port")
    p.add_argument("--to", dest="target", metavar="URL", help="target tairproxy: redis://host:port")
    p.add_argument("--match", metavar="PATTERN", help="only keys matching this SCAN pattern")
    p.add_argument("--db", type=int, action="append", metavar="N",
                   help="database to copy (repeatable; default every non-empty one)")
    p.add_argument("--batch", type=int, default=1000, metavar="N", help="keys per SCAN and pipeline (default 1000)")
    p.add_argument("--lanes", type=int, default=DEFAULT_LANES, metavar="N",
                   help=f"batches in flight at once, each on its own pair of connections (default {DEFAULT_LANES})")
    p.add_argument("--no-dump", action="store_true",
                   help="copy native keys type by type instead of DUMP/RESTORE (TairBloom filters are then skipped)")
    p.add_argument("--dry-run", action="store_true", help="count keys per type; write nothing")
    p.add_argument("--verify", action="store_true",
                   help="after copying, re-read every key from both sides and report differences")
    p.add_argument("--verify-only", action="store_true", help="compare source and target without copying")
    p.add_argument("--resume", action="store_true", help="continue the run recorded in the checkpoint file")
    p.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, metavar="FILE",
                   help=f"where progress is recorded after every batch (default ./{DEFAULT_CHECKPOINT})")
    args = p.parse_args(argv)
    if args.target is None and not args.dry_run:
        p.error("--to is required (except with --dry-run)")
    if args.batch < 1 or args.lanes < 1:
        p.error("--batch and --lanes must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        source = SyncClient(args.source)
        target = None if args.dry_run else SyncClient(args.target)
    except (OSError, ConnectionError, ValueError) as exc:
        print(f"tairproxy migrate: cannot connect: {exc}", file=sys.stderr)
        return 1
    migration = Migration(args, source, target)
    try:
        total = migration.choose_dbs()
        if args.dry_run:
            return _dry_run(migration, total)
        status = 0 if args.verify_only else _copy(migration, total)
        if args.verify or args.verify_only:
            status = _verify(migration, total) or status
        return status
    except (OSError, ConnectionError) as exc:
        print(f"\ntairproxy migrate: {exc}; run again with --resume to continue", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ntairproxy migrate: interrupted; run again with --resume to continue", file=sys.stderr)
        return 130
    finally:
        for client in (source, target):
            if client is not None:
                client.close()


def _dry_run(migration: Migration, total: int) -> int:
    migration.progress = Progress(total)
    migration.dry_run()
    migration.progress.finish()
    print(summary_table(migration.stats, verb="to copy"))
    if migration.stats.copied["TairBloom"]:
        print("note: TairBloom filters are copied only if the target loads their DUMP payload "
              "(from a tairproxy it does; from Tair it cannot, and they are then skipped)")
    return 0


def _copy(migration: Migration, total: int) -> int:
    if migration.args.resume and not migration.load_checkpoint():
        print("tairproxy migrate: the checkpoint records a finished run; nothing to resume", file=sys.stderr)
    else:
        if migration.args.resume:
            print(f"tairproxy migrate: resuming at database {migration.dbs[migration.start_db_index]}, "
                  f"cursor {migration.start_cursor} ({migration.stats.seen:,} keys done)", file=sys.stderr)
        migration.progress = Progress(total, done=migration.stats.seen)
        migration.copy()
        migration.progress.finish()
    print(summary_table(migration.stats))
    return 1 if migration.stats.failed else 0


def _verify(migration: Migration, total: int) -> int:
    migration.start_db_index = migration.start_cursor = 0
    migration.progress = Progress(total, what="keys verified")
    differences = migration.verify()
    migration.progress.finish()
    print(summary_table(migration.verified, verb="identical"))
    for line in differences[:SHOWN_DIFFERENCES]:
        print(line)
    if len(differences) > SHOWN_DIFFERENCES:
        print(f"... and {len(differences) - SHOWN_DIFFERENCES:,} more")
    print(f"verify: {len(differences):,} keys differ")
    return 1 if differences else 0
