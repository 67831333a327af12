"""Shipped transforms: each spec (``*.jsonata`` or ``*.py``) sits beside its ``*.meta.json``.

The Python modules are executed by the registry from their checksum-verified source; they are
also importable normally so tests and type checkers can reach them.
"""
