"""Byte-exact RESP2 replies of the TairZset module (texts from src/tairzset.c and the server)."""

from __future__ import annotations

from tests.replies import EMPTY, NIL, OK, QUEUED, SYNTAX, WRONGTYPE, arity, arr, bulk, bulks, i  # noqa: F401 (re-exported for the tests)

NOT_VALID = b"-ERR score is not a valid format\r\n"
NOT_VALID_NO_ERR = b"-score is not a valid format\r\n"  # EXZREMRANGEBYSCORE's own text
NX_XX = b"-ERR XX and NX options at the same time are not compatible\r\n"
INCR_PAIR = b"-ERR INCR option supports a single increment-element pair\r\n"
NAN = b"-ERR resulting score is not a number (NaN)\r\n"
MIN_MAX_FLOAT = b"-ERR min or max is not a float\r\n"
LEX_RANGE = b"-ERR min or max not valid string range item\r\n"
OUT_OF_RANGE = b"-ERR value is out of range\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
INVALID_CURSOR = b"-ERR invalid cursor\r\n"
AT_LEAST_ONE = b"-ERR at least 1 input key is needed\r\n"
WEIGHT = b"-ERR weight value is not a float\r\n"
LIMIT_NEGATIVE = b"-ERR LIMIT can't be negative\r\n"
TIMEOUT_NOT_FLOAT = b"-ERR timeout is not an float or out of range\r\n"  # sic, the module's text
TIMEOUT_NEGATIVE = b"-ERR timeout is negative\r\n"


