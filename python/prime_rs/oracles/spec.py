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
    executor: Any = None,
) -> Oracle:
    """``"builtin"`` (the native simulator), ``"none"`` (:class:`NoOracle`) or a command line
    (:class:`~prime_rs.oracles.CommandOracle`, checked to be runnable now). ``executor``
    (a :class:`prime_rs.executors.Executor`) carries the batches instead of local threads."""
    from prime_rs.oracles.builtin import BuiltinOracle
    from prime_rs.oracles.command import CommandOracle

    if not isinstance(spec, str) or not spec.strip():
        raise InvalidArgumentError(
            "--oracle takes 'builtin', 'none' or a command line, got an empty value"
        )
    s = spec.strip()
    oracle: Oracle
    if s == "builtin":
        oracle = BuiltinOracle(workloads, batch_size=batch_size, jobs=jobs)
    elif s == NO_ORACLE:
        return NoOracle()
    else:
        oracle = CommandOracle(s, timeout=timeout, batch_size=batch_size, jobs=jobs)
        oracle.check_runnable()
    if executor is not None:
        oracle.use_executor(executor)
    return oracle
