"""Deprecated home of `prime-rs optimize`'s orchestration, now the :mod:`prime_rs.run` package
(split by job: settings, preparation, data helpers, computation, artefacts). The public names
are re-exported here for code that imports them from this module."""

from __future__ import annotations

from prime_rs.run import *  # noqa: F403
from prime_rs.run import __all__  # noqa: F401
