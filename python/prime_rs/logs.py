"""prime-rs's one logger hierarchy (``prime_rs.*``).

Library code logs through ``logging.getLogger(__name__)`` and never prints: stage lines ("training
the conservative surrogate on unet") and the end-of-job times are INFO, counted progress lines are
INFO on :data:`PROGRESS`, details are DEBUG. As the logging HOWTO asks of a library, nothing is
shown until an application configures logging, with one exception: output a caller asks for by
name (``progress=True``) goes through :func:`emit`: a plain stderr line unless the application
set the output up, much as logging's own last resort does for warnings.

An application (the command line, ``prime_rs.cli.common.setup_output``) hands its console
handler to :func:`configure`, which installs it at the chosen level beside an optional log file
that gets every record at DEBUG, with time, level and logger.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

__all__ = [
    "PROGRESS",
    "ROOT",
    "Plain",
    "StderrHandler",
    "configure",
    "configured",
    "emit",
    "reset",
    "shows",
]

#: The package's logger: the root of the hierarchy.
ROOT = "prime_rs"
#: Where counted progress lines go (one line every tenth of a job or every half minute).
PROGRESS = "prime_rs.progress"

logging.getLogger(ROOT).addHandler(logging.NullHandler())


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler bound to whatever ``sys.stderr`` is when a record is written (pytest and
    typer's test runner swap it), not to the stream of the moment it was made."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class Plain(logging.Formatter):
    """The message alone; warnings and errors say what they are (``warning: ...``)."""

    def __init__(self) -> None:
        super().__init__("%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {text}"
        return text


#: What :func:`configure` installed (replaced by the next call: the next command of a test
#: session) and the console level it chose.
_installed: list[logging.Handler] = []
_level = [logging.INFO]
_fallback = StderrHandler()
_fallback.setFormatter(Plain())


def configure(
    console: logging.Handler, verbosity: int = 0, log_file: str | os.PathLike[str] | None = None
) -> None:
    """Show the ``prime_rs`` hierarchy through ``console`` at ``verbosity`` -1 (warnings and
    errors), 0 (INFO) or 1 (DEBUG), and every record in ``log_file`` (appended)."""
    from prime_rs.errors import OutputError

    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        try:
            fh = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise OutputError(
                f"cannot write the log file {log_file}: {exc.strerror or exc}"
            ) from None
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        fh.setLevel(logging.DEBUG)
        handlers.append(fh)
    root = logging.getLogger(ROOT)
    for h in _installed:
        root.removeHandler(h)
        h.close()
    _installed[:] = handlers
    _level[0] = {-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG)
    console.setLevel(_level[0])
    for h in handlers:
        root.addHandler(h)
    root.setLevel(min(h.level for h in handlers))
    # The application owns the output: records do not also reach handlers some other library
    # set up on the root logger.
    root.propagate = False


def reset() -> None:
    """Undo :func:`configure` (when a command run in-process, e.g. by a test, ends)."""
    root = logging.getLogger(ROOT)
    for h in _installed:
        root.removeHandler(h)
        h.close()
    _installed.clear()
    _level[0] = logging.INFO
    root.setLevel(logging.NOTSET)
    root.propagate = True


def configured() -> bool:
    """Whether an application set the output up through :func:`configure`."""
    return bool(_installed)


def shows(level: int) -> bool:
    """Whether the configured console shows records of ``level`` (progress: INFO)."""
    return level >= _level[0]


def emit(logger: logging.Logger, message: str, level: int = logging.INFO) -> None:
    """Log ``message`` that a caller asked to see: through the application's handlers when it
    set the output up (:func:`configure`), else as a plain line on stderr."""
    if configured():
        logger.log(level, message)
    else:
        _fallback.handle(logger.makeRecord(logger.name, level, "", 0, message, (), None))
