"""tairproxy: Tair's extension commands on stock Valkey, as a RESP proxy."""

__version__ = "0.1.0"
