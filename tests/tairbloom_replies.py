"""Byte-exact RESP replies of the bloom commands (texts from valkey-bloom src/bloom/utils.rs)."""

from __future__ import annotations

from tests.replies import NIL, OK, QUEUED, WRONGTYPE, arr, bulk, i, status  # noqa: F401 (re-exported for the tests)

ERROR = b"-ERROR\r\n"
NONSCALING_FULL = b"-ERR non scaling filter is full\r\n"
NOT_FOUND = b"-ERR not found\r\n"
ITEM_EXISTS = b"-ERR item exists\r\n"
INVALID_INFO = b"-ERR invalid information value\r\n"
INVALID_SEED = b"-ERR invalid seed\r\n"
BAD_EXPANSION = b"-ERR bad expansion\r\n"
BAD_CAPACITY = b"-ERR bad capacity\r\n"
BAD_ERROR_RATE = b"-ERR bad error rate\r\n"
ERROR_RATE_RANGE = b"-ERR (0 < error rate range < 1)\r\n"
BAD_TIGHTENING = b"-ERR bad tightening ratio\r\n"
TIGHTENING_RANGE = b"-ERR (0 < tightening ratio range < 1)\r\n"
CAPACITY_ZERO = b"-ERR (capacity should be larger than 0)\r\n"
FP_ZERO = b"-ERR false positive degrades to 0 on scale out\r\n"
UNKNOWN_ARGUMENT = b"-ERR unknown argument received\r\n"
TOO_LARGE = b"-ERR operation exceeds bloom object memory limit\r\n"
SCALE_TO_TOO_LARGE = b"-ERR provided VALIDATESCALETO causes bloom object to exceed memory limit\r\n"
SCALE_TO_FP_ZERO = b"-ERR provided VALIDATESCALETO causes false positive to degrade to 0\r\n"
NONSCALING_SCALE_TO = b"-ERR cannot use NONSCALING and VALIDATESCALETO options together\r\n"

MAGIC = b"\x00TPBLOOM"
TYPE_NAME = b"+MBbloom--\r\n"


def arity(name: str) -> bytes:
    """valkey-bloom registers its commands upper-case, and Valkey names them as registered."""
    return b"-ERR wrong number of arguments for '%s' command\r\n" % name.encode()


def ints(*values: int) -> bytes:
    return arr(*(i(v) for v in values))


def info(capacity: int, size: int, filters: int, items: int, rate: str,
         expansion: int | None, ratio: str = "0.5", max_scaled: int | None = None) -> bytes:
    """BF.INFO's full reply in RESP2 (doubles are bulk strings, a NONSCALING expansion nil)."""
    parts = [
        status("Capacity"), i(capacity), status("Size"), i(size),
        status("Number of filters"), i(filters), status("Number of items inserted"), i(items),
        status("Error rate"), bulk(rate), status("Expansion rate"),
    ]
    if expansion is None:
        parts.append(NIL)
    else:
        parts += [i(expansion), status("Tightening ratio"), bulk(ratio), status("Max scaled capacity"),
                  i(max_scaled)]
    return arr(*parts)
