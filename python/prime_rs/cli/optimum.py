"""`prime-rs optimum`: the true optimum of a task, by enumerating every design (built-in world)."""

from __future__ import annotations

import json
import re
from contextlib import ExitStack
from typing import Annotated, Any

import typer

from prime_rs.cli.common import (
    APPS_HELP,
    AddressOpt,
    ExecutorOpt,
    JobsOpt,
    JsonOpt,
    ThreadsOpt,
    cli_errors,
)

_SUFFIX = {"": 1, "ki": 1024, "mi": 1024 * 1024}
_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*(ki|mi)?\s*$", re.IGNORECASE)


def _parse_value(text: str, item: str) -> float:
    from prime_rs.errors import InvalidArgumentError

    m = _NUMBER.match(text)
    if not m:
        raise InvalidArgumentError(
            f"--fix {item!r}: {text!r} is not a number (suffixes Ki and Mi are allowed)"
        )
    value = float(m.group(1)) * _SUFFIX[(m.group(2) or "").lower()]
    return int(value) if value.is_integer() else value


def parse_fixed(items: list[str]) -> dict[str, list[float]]:
    """`--fix NAME=VALUE[,VALUE...]` items as the `fixed` mapping of `prime_rs.exhaustive`."""
    from prime_rs.errors import InvalidArgumentError

    fixed: dict[str, list[float]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise InvalidArgumentError(f"--fix takes PARAM=VALUE[,VALUE...], got {item!r}")
        if name in fixed:
            raise InvalidArgumentError(f"--fix gives parameter {name!r} twice")
        fixed[name] = [_parse_value(v, item) for v in values.split(",")]
    return fixed


def _design_text(values: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items())


def optimum(
    apps: Annotated[
        str,
        typer.Option("--apps", help=APPS_HELP),
    ],
    area_budget: Annotated[
        float, typer.Option("--area-budget", help="Chip area budget in mm².")
    ] = 27.0,
    k: Annotated[int, typer.Option("-k", "--top", help="Best designs to report.")] = 5,
    fix: Annotated[
        list[str] | None,
        typer.Option(
            "--fix",
            help="Restrict a parameter: NAME=VALUE[,VALUE...] (physical name or param_k; raw "
            "values, Ki/Mi allowed). Repeat for several.",
        ),
    ] = None,
    threads: ThreadsOpt = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the cache of optima.")
    ] = False,
    as_json: JsonOpt = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")
    ] = True,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """The true optimum of a task, by enumerating every design (evaluation only).

    Enumerates the space (or a sub-space, with --fix) and prints the fastest design feasible
    on every application within the area budget, by geometric-mean latency. Exit 1 when no
    design is feasible. The id ranges run on the executor; finished ones are kept in the
    cache, so an interrupted run asked again continues where it stopped.
    """
    with cli_errors():
        from prime_rs.cli.common import progress_bar, split_names
        from prime_rs.errors import NoFeasibleDesignError
        from prime_rs.ground_truth import exhaustive

        app_list = split_names(apps) or []
        fixed = parse_fixed(fix or [])
        with ExitStack() as stack:
            # The bar opens at the first report, which gives the sub-space's size.
            state: dict[str, Any] = {"done": 0, "advance": None}

            def report(covered: int, total: int) -> None:
                if state["advance"] is None:
                    bar = progress_bar(total, "enumerating designs", enabled=progress)
                    state["advance"] = stack.enter_context(bar)
                state["advance"](covered - state["done"])
                state["done"] = covered

            result = exhaustive(
                app_list,
                area_budget=area_budget,
                k=k,
                fixed=fixed or None,
                threads=threads,
                progress=report,
                cache=not no_cache,
                executor=executor,
                jobs=jobs,
                address=address,
            )
        if result.feasible == 0:
            raise NoFeasibleDesignError(
                f"no design of the {'sub-space' if result.fixed else 'space'} within "
                f"{result.area_budget:g} mm² is feasible on {', '.join(result.applications)} "
                f"({result.in_budget:,} designs within the budget were simulated)"
            )
    from prime_rs.space import SPACE

    designs = SPACE.as_dicts(result.designs)
    if as_json:
        doc: dict[str, Any] = result.to_json()
        doc["design_values"] = designs
        doc["from_cache"] = result.from_cache
        print(json.dumps(doc, indent=2))
        return
    many = len(result.applications) > 1
    what = "geometric-mean latency" if many else "latency"
    print(
        f"true optimum for {', '.join(result.applications)} under {result.area_budget:g} mm²: "
        f"{result.optimum_ms:.4g} ms ({what})"
    )
    print(f"  design: {_design_text(designs[0])}")
    print(f"  area {result.area_mm2[0]:.3f} mm², design id {int(result.ids[0])}")
    where = (
        "sub-space ("
        + ", ".join(f"{n}={'|'.join(str(v) for v in vs)}" for n, vs in result.fixed.items())
        + ")"
        if result.fixed
        else "space"
    )
    print(
        f"  {result.space_size:,} designs in the {where}, {result.in_budget:,} within the "
        f"budget, {result.feasible:,} of those feasible on every application"
    )
    timing = "read from the cache" if result.from_cache else "enumerated"
    print(f"  {timing} (enumeration took {result.elapsed_s:.1f} s)")
    if len(result.designs) > 1:
        header = ["rank", "ms"] + ([*result.applications] if many else []) + ["mm²", "design"]
        print()
        print("  " + " | ".join(header))
        for i, values in enumerate(designs):
            row = [str(i + 1), f"{result.geomean_ms[i]:.4g}"]
            if many:
                row += [f"{x:.4g}" for x in result.latency_ms[i]]
            row += [f"{result.area_mm2[i]:.3f}", _design_text(values)]
            print("  " + " | ".join(row))


def register(app: typer.Typer) -> None:
    app.command("optimum")(optimum)
