"""Typed exceptions of prime-rs.

Every error a user can cause is one of these. They subclass the matching built-in
(``ValueError``, ``KeyError``, ``OSError``) so generic handlers still work, and all share the
``PrimeError`` base so ``except PrimeError`` catches everything the package raises on purpose.
The native module raises these same classes (it imports them from here), so there is one tree.
"""

from __future__ import annotations


class PrimeError(Exception):
    """Base class of every error prime-rs raises on purpose."""

    #: Exit status the CLI uses for this error (docs/design.md section 8: 2 = usage/config/input).
    exit_code: int = 2


class InvalidDesignError(PrimeError, ValueError):
    """A design holds an index or value outside the design space, or has the wrong shape/dtype.

    ``row`` (index of the first bad design in the batch) and ``param`` (the parameter's name)
    are set when the problem is one entry; both are ``None`` for a problem with the whole
    array, such as its shape.
    """

    def __init__(self, message: str = "", *, row: int | None = None, param: str | None = None):
        super().__init__(message)
        self.row = row
        self.param = param


class InvalidArgumentError(PrimeError, ValueError):
    """An argument of the wrong shape, type or range (NaN, negative counts, ...)."""


class UnknownWorkloadError(PrimeError, KeyError):
    """A workload name that is neither built in nor an existing workload file."""

    def __str__(self) -> str:  # KeyError would otherwise print the message with quotes
        return str(self.args[0]) if self.args else ""


class WorkloadFileError(PrimeError, ValueError):
    """A workload file that cannot be parsed or describes an impossible layer."""


class DatasetError(PrimeError, ValueError):
    """A logged dataset that is malformed: missing columns, wrong types, unknown applications."""


class CorruptRecordError(DatasetError):
    """A TFRecord whose framing or checksum is wrong, or that is truncated.

    ``source`` is the file and ``offset`` the byte offset of the bad record in it, when the
    reader knows them (``None`` otherwise).
    """

    def __init__(self, message: str = "", *, source: str | None = None, offset: int | None = None):
        super().__init__(message)
        self.source = source
        self.offset = offset


class UnknownApplicationError(PrimeError, KeyError):
    """An application name that is not in the dataset or the workload zoo."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class OutputError(PrimeError, OSError):
    """An output path that cannot be written, or exists and must not be overwritten."""


class CheckpointError(PrimeError, ValueError):
    """A checkpoint that is missing, unreadable or from a different model configuration."""


class TrainingError(PrimeError, RuntimeError):
    """Training cannot proceed (no feasible rows, non-finite loss, ...)."""


class MissingDependencyError(PrimeError, ImportError):
    """An optional dependency a requested feature needs is not installed."""


class OracleError(PrimeError, RuntimeError):
    """An oracle (the user's simulator, a command, a callable) failed or gave an unusable
    answer: a non-zero exit, a timeout, missing rows, NaN. No partial answer is ever used."""


class NoFeasibleDesignError(PrimeError, RuntimeError):
    """Optimisation finished but no proposed design was feasible under the constraints."""

    exit_code = 1


__all__ = [
    "CheckpointError",
    "CorruptRecordError",
    "DatasetError",
    "InvalidArgumentError",
    "InvalidDesignError",
    "MissingDependencyError",
    "NoFeasibleDesignError",
    "OracleError",
    "OutputError",
    "PrimeError",
    "TrainingError",
    "UnknownApplicationError",
    "UnknownWorkloadError",
    "WorkloadFileError",
]
