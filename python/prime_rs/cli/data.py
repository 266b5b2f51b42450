"""`prime-rs generate` and `prime-rs data import-prime | import-csv | stats`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli.common import (
    APPS_HELP,
    JsonOpt,
    ThreadsOpt,
    cli_errors,
    escape,
    progress_bar,
    report_times,
    stderr_console,
)
from prime_rs.task import DEFAULT_AREA_BUDGET

data_app = typer.Typer(
    name="data",
    help="Logged simulations: import the PRIME release or your own logs, inspect datasets.",
    no_args_is_help=True,
)


#: Both imports: an application name prime-rs has no workload for (a CSV value, a TFRecord
#: folder or an --app-map target) is kept as data-only, or refused with its known names.
AllowUnknownAppsOpt = Annotated[
    bool,
    typer.Option(
        "--allow-unknown-apps/--known-apps-only",
        help="Keep application names prime-rs has no workload for, as data-only "
        "applications (default), or reject them.",
    ),
]


def _emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, indent=2, allow_nan=False))


def _written(ds: Any, out: Path) -> dict[str, Any]:
    """What every command that writes a dataset reports about it."""
    return {
        "path": str(out),
        "rows": len(ds),
        "applications": ds.applications,
        "world": ds.world.describe(),
        "latency_unit": ds.latency_unit,
    }


def generate(
    apps: Annotated[str, typer.Option("--apps", help=APPS_HELP)],
    designs: Annotated[
        int,
        typer.Option(
            "--designs", "-n", help="Designs to simulate per application (a positive integer)."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output Parquet file (written atomically).")
    ],
    seed: Annotated[
        int,
        typer.Option(
            "--seed", help="Seed, 0 to 2**64-1: the output depends only on it and the settings."
        ),
    ] = 0,
    # Checked by write_generated (the rule's one home); the choices are shown and completed.
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="random: uniform designs; search: the visits of a logged evolutionary search.",
            metavar="<random|search>",
            autocompletion=lambda: ["random", "search"],
        ),
    ] = "random",
    area_budget: Annotated[
        float,
        typer.Option(
            "--area-budget", help="Area budget (mm²) of the search fitness (mode search)."
        ),
    ] = DEFAULT_AREA_BUDGET,
    population: Annotated[
        int,
        typer.Option("--population", help="Population of each search run (mode search).", min=1),
    ] = 512,
    batch: Annotated[
        int, typer.Option("--batch", help="Designs per search generation (mode search).", min=1)
    ] = 256,
    random_fraction: Annotated[
        float,
        typer.Option(
            "--random-fraction",
            help="Share of uniform random designs in each search batch.",
            min=0,
            max=1,
        ),
    ] = 0.2,
    chunk_size: Annotated[
        int,
        typer.Option(
            "--chunk-size", help="Rows simulated and written per chunk (memory bound).", min=1
        ),
    ] = 262_144,
    threads: ThreadsOpt = None,
    executor: Annotated[
        str, typer.Option("--executor", help="Where chunks are simulated: local or ray.")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster address (default: start a local Ray)."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", help="Chunks simulated at once.", show_default="1", min=1),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Reuse the finished chunks of an interrupted run with these settings."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Simulate designs for one or more applications and write a dataset."""
    from prime_rs.data.generation import parts_dir

    with cli_errors(resume_out=out, kept_in=parts_dir(out)):
        from prime_rs.data.generation import SearchSettings, resolve_apps, write_generated
        from prime_rs.executors import get_executor

        n_apps = len(resolve_apps(apps))
        settings = SearchSettings(area_budget, population, batch, random_fraction)
        ex = get_executor(executor, jobs=1 if jobs is None else jobs, address=address)
        try:
            with progress_bar(designs * n_apps, f"simulating ({mode})") as step:
                rep = write_generated(
                    out, apps, designs, seed, mode,  # type: ignore[arg-type]
                    settings=settings, chunk_size=chunk_size, threads=threads, progress=step,
                    executor=ex, resume=resume,
                )  # fmt: skip
        finally:
            ex.close()
        summary = {
            "path": rep.path,
            "rows": rep.rows,
            "feasible": rep.feasible,
            "applications": rep.applications,
            "mode": rep.mode,
            "seed": rep.seed,
            "seconds": round(rep.seconds, 3),
            "rows_per_second": round(rep.rows_per_second),
        }
        if as_json:
            _emit(summary)
        else:
            stderr_console().print(
                f"wrote {rep.rows:,} rows ({rep.feasible:,} feasible) for "
                f"{', '.join(rep.applications)} to {rep.path} in {rep.seconds:.1f}s "
                f"({rep.rows_per_second:,.0f} rows/s)"
            )
        report_times({"simulate": rep.seconds})


@data_app.command("import-prime")
def import_prime(
    directory: Annotated[
        Path,
        typer.Argument(
            help="The PRIME data folder (one sub-folder of *.tfrecord per application)."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output Parquet file (written atomically).")
    ],
    skip_corrupt: Annotated[
        bool,
        typer.Option(
            "--skip-corrupt", help="Skip and count corrupt or truncated records instead of failing."
        ),
    ] = False,
    drop_invalid: Annotated[
        bool,
        typer.Option(
            "--drop-invalid",
            help="Drop and count rows with values outside the design space instead of failing.",
        ),
    ] = False,
    app_map: Annotated[
        list[str] | None,
        typer.Option(
            "--app-map", help="FOLDER=APPLICATION for folders with other names (repeatable)."
        ),
    ] = None,
    allow_unknown_apps: AllowUnknownAppsOpt = True,
    latency_unit: Annotated[
        str, typer.Option("--latency-unit", help="Unit of the logged runtimes.")
    ] = "ms",
    as_json: JsonOpt = False,
) -> None:
    """Import the published PRIME TFRecords (parsed natively, checksums verified). Folders with
    no prime-rs name become data-only applications (--known-apps-only refuses them); the
    data's world is external."""
    with cli_errors():
        from prime_rs.data.tfrecord import import_prime_file as run
        from prime_rs.errors import InvalidArgumentError

        mapping = {}
        for pair in app_map or []:
            folder, sep, app = pair.partition("=")
            if not sep or not folder or not app:
                raise InvalidArgumentError(
                    f"--app-map {pair!r} is not of the form FOLDER=APPLICATION"
                )
            mapping[folder] = app
        with stderr_console().status("reading TFRecords", spinner="dots"):
            rep = run(
                directory,
                out,
                skip_corrupt=skip_corrupt,
                drop_invalid=drop_invalid,
                app_map=mapping,
                allow_unknown_apps=allow_unknown_apps,
                latency_unit=latency_unit,
            )
        summary = {
            "path": str(out),
            "rows": rep.rows,
            "skipped_records": rep.skipped,
            "dropped_invalid_rows": rep.dropped_invalid,
            "files": [
                {"file": f, "application": a, "records": r, "skipped": s}
                for f, a, r, s in rep.files
            ],
            "skips": [{"file": f, "offset": o, "problem": d} for f, o, d in rep.skips],
            "applications": rep.applications,
            "data_only_applications": rep.data_only_applications,
            "world": rep.world,
            "latency_unit": rep.latency_unit,
            "seconds": round(rep.seconds, 3),
            "records_per_second": round(rep.records_per_second),
        }
        if as_json:
            _emit(summary)
            return
        con = stderr_console()
        con.print(
            f"imported {rep.rows:,} rows of {len(rep.applications)} application(s) from "
            f"{len(rep.files)} file(s) in {rep.seconds:.1f}s ({rep.records_per_second:,.0f} records/s) to {out}"
        )
        if rep.data_only_applications:
            con.print(
                "data-only application(s) (no prime-rs workload): "
                + ", ".join(rep.data_only_applications)
            )
        if rep.skipped:
            con.print(
                f"skipped {rep.skipped:,} corrupt record(s); first: {rep.skips[0][0]} at byte {rep.skips[0][1]}: {rep.skips[0][2]}"
            )
        if rep.dropped_invalid:
            con.print(
                f"dropped {rep.dropped_invalid:,} row(s) with values outside the design space"
            )


@data_app.command("import-csv")
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or Parquet log of simulations.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output Parquet file (written atomically).")
    ],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="DATASET_COLUMN=FILE_COLUMN (repeatable), e.g. latency_ms=runtime."
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", help=escape('TOML file: application = "..." and a [columns] table.')
        ),
    ] = None,
    app: Annotated[
        str | None,
        typer.Option(
            "--app", help="One application for every row (file without an application column)."
        ),
    ] = None,
    allow_unknown_apps: AllowUnknownAppsOpt = True,
    latency_unit: Annotated[
        str, typer.Option("--latency-unit", help="Unit of the logged latencies.")
    ] = "ms",
    as_json: JsonOpt = False,
) -> None:
    """Import your own simulation log with a column mapping (an external world)."""
    with cli_errors():
        from prime_rs.data.csv_import import import_csv as run
        from prime_rs.data.csv_import import mapping_from

        m = mapping_from(map_ or [], mapping, app)
        ds = run(file, out, m, allow_unknown_apps=allow_unknown_apps, latency_unit=latency_unit)
        summary = {
            **_written(ds, out),
            "feasible": int(ds.feasible.sum()),
            "data_only_applications": ds.data_only_applications,
        }
        if as_json:
            _emit(summary)
        else:
            stderr_console().print(
                f"imported {len(ds):,} rows ({summary['feasible']:,} feasible) of "
                f"{', '.join(ds.applications)} to {out}"
            )


@data_app.command("stats")
def stats(
    file: Annotated[Path, typer.Argument(help="A dataset (Parquet) file.")],
    area_budget: Annotated[
        float,
        typer.Option("--area-budget", help="Area budget (mm²) of the regression/infeasible split."),
    ] = DEFAULT_AREA_BUDGET,
    as_json: JsonOpt = False,
) -> None:
    """Per-application counts and runtimes (the PRIME README table) and the area-budget split."""
    with cli_errors():
        from prime_rs.data.dataset import load
        from prime_rs.data.summary import stats as compute
        from prime_rs.data.summary import stats_json

        ds = load(file)
        if as_json:
            _emit(stats_json(ds, area_budget))
            return
        from rich.table import Table

        from prime_rs.cli.common import stdout_console

        rows, total = compute(ds, area_budget)
        unit = ds.latency_unit
        t = Table(title=f"{file} ({len(ds):,} rows; {ds.world.describe()}; latency in {unit})")
        # A narrow terminal squeezes the numbers, never the names.
        longest = max(len(r.application) for r in [*rows, total])
        t.add_column("application", no_wrap=True, min_width=longest)
        for col in ("infeasible", "feasible", f"max {unit}", f"min {unit}", f"avg {unit}",
                    f"≤ {area_budget:g} mm²", f"> {area_budget:g} mm²"):  # fmt: skip
            t.add_column(col, justify="right")

        def fmt(x: float) -> str:
            return "-" if x != x else f"{x:,.2f}"

        for r in [*rows, total]:
            t.add_row(
                r.application, f"{r.infeasible:,}", f"{r.feasible:,}", fmt(r.max_latency_ms),
                fmt(r.min_latency_ms), fmt(r.mean_latency_ms), f"{r.within_budget:,}", f"{r.over_budget:,}",
                end_section=r is rows[-1],
            )  # fmt: skip
        stdout_console().print(t)
        print(
            f"regression set (feasible, area <= {area_budget:g} mm²): {total.within_budget:,} rows; "
            f'"infeasible" set: {total.infeasible_set:,} rows'
        )


@data_app.command("merge")
def merge(
    files: Annotated[list[Path], typer.Argument(help="Two or more dataset (Parquet) files.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output Parquet file (written atomically).")
    ],
    allow_mixed_worlds: Annotated[
        bool,
        typer.Option(
            "--allow-mixed-worlds",
            help="Merge datasets from different simulators (recorded as a 'mixed' world).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Merge datasets of one world into one file (refuses to mix simulators unless told)."""
    with cli_errors():
        from prime_rs.data.merge import merge_files

        ds = merge_files(files, out, allow_mixed_worlds=allow_mixed_worlds)
        summary = _written(ds, out)
        if as_json:
            _emit(summary)
        else:
            stderr_console().print(
                f"merged {len(files)} datasets: {len(ds):,} rows of {', '.join(ds.applications)} "
                f"({summary['world']}) to {out}"
            )


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
    app.add_typer(data_app, name="data")
