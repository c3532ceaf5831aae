"""Error texts, byte-identical to the real modules' (each module's own wording, typos included)."""

SYNTAX = "ERR syntax error"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
