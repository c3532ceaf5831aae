"""The Tair families tairproxy does not serve (closed-source cloud modules) reach Valkey unchanged
and answer its own unknown-command error, as the README says."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("command", [
    ("EXTS.S.ADD", "ts", "s1", "*", "1"),          # TairTS
    ("CPC.UPDATE", "cpc", "item"),                  # TairCpc
    ("TR.SETBIT", "roaring", "1", "1"),             # TairRoaring
    ("TFT.CREATEINDEX", "idx", "{}"),               # TairSearch
    ("TVS.CREATEINDEX", "vec", "128", "HNSW", "L2"),  # TairVector
])
def test_unserved_family_commands_are_unknown(raw, direct, command):
    reply = raw(*command)
    assert reply.startswith(f"-ERR unknown command '{command[0]}'".encode()), reply
    assert direct.dbsize() == 0
