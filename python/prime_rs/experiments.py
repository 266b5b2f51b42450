"""Deprecated home of the comparison protocol, now the :mod:`prime_rs.compare` package
(settings, protocol, tables, plots). The public names are re-exported here for code that
imports them from this module."""

from __future__ import annotations

from prime_rs.compare import *  # noqa: F403
from prime_rs.compare import __all__  # noqa: F401
