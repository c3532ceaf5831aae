"""Only the optional C accelerator; everything else is in pyproject.toml.

Where no compiler is available the build of tairproxy._speedups fails quietly and the proxy
uses the Python versions of the same functions (tairproxy/framing.py)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("tairproxy._speedups", ["tairproxy/_speedups.c"], optional=True)])
