"""The CLI's ``--oracle`` value as an oracle, and the oracle that evaluates nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs.errors import InvalidArgumentError, OracleError
from prime_rs.oracles._base import Oracle

__all__ = ["NO_ORACLE", "NoOracle", "oracle_from_spec"]

#: The ``--oracle`` value that proposes without verifying.
NO_ORACLE = "none"


class NoOracle(Oracle):
    """No way to evaluate designs in the data's world (``--oracle none``): proposals are made
    from the logs alone. Asking it to evaluate is an error that says how to verify."""

    name = NO_ORACLE
    world = "external"

    def _evaluate(
        self, designs: npt.NDArray[np.uint8], applications: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        raise OracleError(
            "no oracle can evaluate designs in this world (--oracle none); give "
            '--oracle "YOUR_SIMULATOR ARGS" to verify, or use `prime-rs propose`'
        )


def oracle_from_spec(
    spec: str,
    *,
    timeout: float | None = None,
    jobs: int = 1,
    batch_size: int | None = None,
    workloads: Mapping[str, Any] | None = None,
) -> Oracle:
    """``"builtin"`` (the native simulator), ``"none"`` (:class:`NoOracle`) or a command line
    (:class:`~prime_rs.oracles.CommandOracle`, checked to be runnable now)."""
    from prime_rs.oracles.builtin import BuiltinOracle
    from prime_rs.oracles.command import CommandOracle

    if not isinstance(spec, str) or not spec.strip():
        raise InvalidArgumentError(
            "--oracle takes 'builtin', 'none' or a command line, got an empty value"
        )
    s = spec.strip()
    if s == "builtin":
        return BuiltinOracle(workloads, batch_size=batch_size, jobs=jobs)
    if s == NO_ORACLE:
        return NoOracle()
    oracle = CommandOracle(s, timeout=timeout, batch_size=batch_size, jobs=jobs)
    oracle.check_runnable()
    return oracle
