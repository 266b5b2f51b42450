"""An external command as an oracle: the user's own simulator, in any language.

The protocol (README, "Your own simulator"): the command is run as ``CMD ARGS IN OUT`` (or with
``{in}`` and ``{out}`` substituted where the command line holds them), where

- ``IN`` is a CSV file with a header: ``application`` and the ten physical parameter names,
  raw values, one row per (design, application) pair, design-major;
- the command writes ``OUT``: a CSV with the same rows in the same order (the ``IN`` columns may
  be repeated, and are then checked), plus ``latency_ms``, ``area_mm2``, ``feasible``
  (``true``/``false`` or ``1``/``0``) and optionally ``reason``.

A non-zero exit, a timeout, a missing or short ``OUT``, a NaN where a number is needed: each is
an :class:`~prime_rs.errors.OracleError` quoting the command and the tail of its standard
error, and no part of that batch is used. Every batch runs in its own temporary directory, so
``jobs`` batches can run at once (the base class schedules them).
"""

from __future__ import annotations

import csv
import math
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

import numpy as np
import numpy.typing as npt

from prime_rs.errors import InvalidArgumentError, OracleError
from prime_rs.oracles._base import Oracle
from prime_rs.space import SPACE

__all__ = ["CommandOracle", "read_out_csv", "write_in_csv"]

#: Bytes of the command's standard error quoted in an error message.
STDERR_TAIL = 2000
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def in_header() -> list[str]:
    return ["application", *SPACE.names]


def write_in_csv(path: str | os.PathLike[str], designs: np.ndarray, apps: Sequence[str]) -> None:
    """Write the ``IN`` file for ``designs`` (index rows) x ``apps``, design-major."""
    values = SPACE.to_values(SPACE.validate(designs))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(in_header())
        for row in values.tolist():
            for a in apps:
                w.writerow([a, *row])


def read_out_csv(
    path: Path, values: np.ndarray, apps: Sequence[str], source: str, *, area_only: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Parse and check ``OUT`` for the ``(n, 10)`` raw ``values`` x ``apps`` that ``IN`` held:
    ``(latency (n, m), area (n, m), feasible (n, m), reason (n, m))``. With ``area_only`` only
    ``area_mm2`` is read (an area command): every pair is then reported infeasible."""
    n, m = len(values), len(apps)
    if not path.is_file():
        raise OracleError(f"{source} did not write its output file")
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise OracleError(f"{source} wrote an unreadable output file: {e}") from None
    if not rows:
        raise OracleError(f"{source} wrote an empty output file (no header)")
    header = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    needed = ("area_mm2",) if area_only else ("latency_ms", "area_mm2", "feasible")
    missing = [c for c in needed if c not in header]
    if missing:
        raise OracleError(
            f"{source} wrote an output without column(s) {', '.join(missing)}; "
            f"its header: {','.join(header)}"
        )
    if len(body) != n * m:
        raise OracleError(
            f"{source} wrote {len(body)} result row(s) for {n * m} input row(s); "
            "every input row needs one result row, in the same order"
        )
    col = {h: i for i, h in enumerate(header)}
    lat = np.empty(n * m)
    area = np.empty(n * m)
    feas = np.empty(n * m, dtype=bool)
    reason = np.empty(n * m, dtype=object)
    echo = [(k, c) for k, c in enumerate(SPACE.names) if c in col]
    for r, cells in enumerate(body):
        where = f"output row {r + 1}"
        if len(cells) != len(header):
            raise OracleError(
                f"{source}: {where} has {len(cells)} fields, the header {len(header)}"
            )
        design, app = divmod(r, m)
        if "application" in col and cells[col["application"]].strip() != apps[app]:
            raise OracleError(
                f"{source}: {where} is for application {cells[col['application']]!r}, "
                f"expected {apps[app]!r} (rows must keep the input order)"
            )
        for k, c in echo:
            if _number(cells[col[c]], source, where, c) != values[design, k]:
                raise OracleError(
                    f"{source}: {where} has {c}={cells[col[c]]}, the input row "
                    f"{int(values[design, k])} (rows must keep the input order)"
                )
        area[r] = _number(cells[col["area_mm2"]], source, where, "area_mm2")
        if area_only:
            lat[r], feas[r], reason[r] = math.inf, False, "area only"
            continue
        f = cells[col["feasible"]].strip().lower()
        if f not in _TRUE | _FALSE:
            raise OracleError(
                f"{source}: {where} has feasible={cells[col['feasible']]!r}; "
                "expected true/false or 1/0"
            )
        feas[r] = f in _TRUE
        text = cells[col["latency_ms"]].strip()
        lat[r] = (
            _number(text, source, where, "latency_ms")
            if feas[r] or text not in ("", "nan", "NaN")
            else math.inf
        )
        reason[r] = cells[col["reason"]].strip() if "reason" in col else ""
    return (
        lat.reshape(n, m),
        area.reshape(n, m),
        feas.reshape(n, m),
        reason.reshape(n, m),
    )


def _number(text: str, source: str, where: str, name: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise OracleError(f"{source}: {where} has {name}={text!r}, not a number") from None
    if math.isnan(v):
        raise OracleError(f"{source}: {where} has {name}=NaN")
    return v


class CommandOracle(Oracle):
    """Evaluates designs by running an external command on CSV files (see the module docstring).

    ``command`` is a command line (split like a POSIX shell would, no shell is run) or an
    argument list; ``timeout`` bounds each run in seconds (``None``: no limit); ``cwd`` is where
    it runs (default: the current directory). With ``area_only`` the command is an *area
    command*: its ``OUT`` needs only ``area_mm2`` (see :class:`prime_rs.area_model.CommandAreaModel`).
    """

    world = "external"

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        timeout: float | None = None,
        cwd: str | os.PathLike[str] | None = None,
        batch_size: int | None = None,
        jobs: int = 1,
        area_only: bool = False,
    ) -> None:
        super().__init__(batch_size=batch_size, jobs=jobs)
        self._area_only = area_only
        if isinstance(command, str):
            try:
                argv = shlex.split(command)
            except ValueError as e:
                raise InvalidArgumentError(
                    f"cannot parse oracle command {command!r}: {e}"
                ) from None
        else:
            argv = [str(a) for a in command]
        if not argv:
            raise InvalidArgumentError("the oracle command is empty")
        if timeout is not None and not (
            isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0
        ):
            raise InvalidArgumentError(
                f"oracle timeout must be a positive number of seconds, got {timeout!r}"
            )
        self._argv = argv
        self._timeout = None if timeout is None else float(timeout)
        self._cwd = None if cwd is None else os.fspath(cwd)
        self.command = shlex.join(argv)
        self.name = f"command: {self.command}"

    @property
    def argv(self) -> list[str]:
        return list(self._argv)

    def check_runnable(self) -> None:
        """Fail now, before any work, when the program cannot be found."""
        prog = self._argv[0]
        found = (
            os.access(Path(self._cwd or ".") / prog, os.X_OK)
            if os.sep in prog
            else shutil.which(prog) is not None
        )
        if not found:
            raise OracleError(f"oracle command {self.command!r}: program {prog!r} not found")

    def _command_for(self, in_path: Path, out_path: Path) -> list[str]:
        substituted = any("{in}" in a or "{out}" in a for a in self._argv)
        if not substituted:
            return [*self._argv, str(in_path), str(out_path)]
        return [a.replace("{in}", str(in_path)).replace("{out}", str(out_path)) for a in self._argv]

    def _evaluate(
        self, designs: npt.NDArray[np.uint8], applications: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        with tempfile.TemporaryDirectory(prefix="prime-rs-oracle-") as tmp:
            d = Path(tmp)
            in_path, out_path, err_path = d / "in.csv", d / "out.csv", d / "stderr.txt"
            write_in_csv(in_path, designs, applications)
            argv = self._command_for(in_path, out_path)
            with open(err_path, "wb") as err:
                try:
                    # Own process group: a timeout kills the command and everything it started.
                    proc = subprocess.Popen(
                        argv,
                        cwd=self._cwd,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=err,
                        start_new_session=True,
                    )
                except OSError as e:
                    raise OracleError(
                        f"oracle command {self.command!r} could not start: {e.strerror or e}"
                    ) from None
                try:
                    code = proc.wait(timeout=self._timeout)
                except subprocess.TimeoutExpired:
                    with suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    raise OracleError(
                        f"oracle command {self.command!r} timed out after {self._timeout:g} s"
                        f"{_tail(err_path)}"
                    ) from None
                except BaseException:
                    with suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    raise
            if code != 0:
                raise OracleError(
                    f"oracle command {self.command!r} failed with exit status {code}"
                    f"{_tail(err_path)}"
                )
            source = f"oracle command {self.command!r}"
            try:
                lat, area, feas, reason = read_out_csv(
                    out_path,
                    SPACE.to_values(designs),
                    applications,
                    source,
                    area_only=self._area_only,
                )
            except OracleError as e:
                raise OracleError(f"{e}{_tail(err_path)}") from None
        return lat, area, feas, reason


def _tail(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    text = data[-STDERR_TAIL:].decode("utf-8", errors="replace").strip()
    return f"; its stderr ends:\n{text}" if text else " (no stderr output)"
