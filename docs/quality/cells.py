"""The table cell the offline studies (ensemble.py, feasibility.py) report a task in: the
median regret over seeds, then each seed's, ``none`` where a seed verified no feasible design."""

from __future__ import annotations

import statistics


def regret_cell(regrets: list[float | None], note: str = "") -> str:
    found = [r for r in regrets if r is not None]
    if not found:
        return "no feasible design"
    none = len(regrets) - len(found)
    text = " / ".join("none" if r is None else f"{r:+.2%}" for r in regrets)
    med = f"{statistics.median(found):+.2%}" + (f", {none} none" if none else "")
    return f"{med} ({text}{'; ' + note if note else ''})"
