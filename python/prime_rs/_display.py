"""What the notebook-facing objects share: Arrow tables to pandas (an optional dependency) and
small HTML tables for ``_repr_html_``."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from prime_rs.errors import MissingDependencyError


def to_pandas(table: Any) -> Any:
    """An Arrow table as a pandas DataFrame; pandas is not a dependency of prime-rs."""
    if importlib.util.find_spec("pandas") is None:
        raise MissingDependencyError(
            "to_pandas() needs pandas, which prime-rs does not install: pip install pandas "
            "(or use to_arrow(), which needs nothing more)"
        )
    return table.to_pandas()


def html_table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], caption: str | None = None
) -> str:
    """A plain HTML table, every cell escaped; numbers are right-aligned."""

    def cell(tag: str, v: Any) -> str:
        align = " style='text-align:right'" if isinstance(v, int | float) else ""
        return f"<{tag}{align}>{escape(str(v))}</{tag}>"

    head = "".join(cell("th", h) for h in header)
    body = "".join("<tr>" + "".join(cell("td", v) for v in row) + "</tr>" for row in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def fmt_ms(x: float | None) -> str:
    """A latency for a table: 4 significant digits, "—" when unknown, "inf" when infeasible."""
    if x is None:
        return "—"
    return f"{x:.4g}"
