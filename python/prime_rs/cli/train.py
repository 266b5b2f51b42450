"""`prime-rs train`: fit the PRIME conservative surrogate on a logged dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from prime_rs.task import DEFAULT_AREA_BUDGET


def _parse_contexts(items: list[str]) -> dict[str, str]:
    from prime_rs.errors import InvalidArgumentError

    out = {}
    for item in items:
        app, sep, path = item.partition("=")
        if not sep or not app or not path:
            raise InvalidArgumentError(f"--context takes APP=WORKLOAD_FILE, got {item!r}")
        out[app] = path
    return out


def train(
    data: Annotated[Path, typer.Option("--data", "-d", help="Logged dataset (Parquet).")],
    apps: Annotated[
        str,
        typer.Option(
            "--apps", help="Comma-separated applications; several train the contextual model."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Run directory (metrics.jsonl, checkpoints).")
    ],
    steps: Annotated[int | None, typer.Option(help="Training steps [default: 500].")] = None,
    seed: Annotated[int, typer.Option(help="Seed of everything (init, batches, negatives).")] = 0,
    area_budget: Annotated[
        float,
        typer.Option("--area-budget", help="Area budget in mm² (negatives stay within it)."),
    ] = DEFAULT_AREA_BUDGET,
    over_budget: Annotated[
        str,
        typer.Option(
            "--over-budget",
            help="Feasible rows over the budget: 'regress' (default) or 'infeasible' (the "
            "released PRIME split).",
        ),
    ] = "regress",
    resume: Annotated[bool, typer.Option(help="Continue the run in --out.")] = False,
    naive: Annotated[
        bool, typer.Option(help="Non-conservative baseline: alpha = beta = 0 (plain regression).")
    ] = False,
    alpha: Annotated[
        float | None, typer.Option(help="Weight of the negatives' mean score [default: 0.01].")
    ] = None,
    beta: Annotated[
        float | None,
        typer.Option(help="Weight of the infeasible rows' mean score [default: 0.01]."),
    ] = None,
    alpha_dual: Annotated[
        bool, typer.Option("--alpha-dual", help="COMs-style dual update of alpha towards --tau.")
    ] = False,
    tau: Annotated[float, typer.Option(help="Target gap for --alpha-dual.")] = 0.5,
    ranking_weight: Annotated[
        float, typer.Option("--ranking-weight", help="Weight of the pairwise ranking loss.")
    ] = 0.0,
    negatives: Annotated[
        str, typer.Option(help="Negative sampler: evolution (default) or gradient.")
    ] = "evolution",
    model: Annotated[str, typer.Option(help="Surrogate: transformer (default) or mlp.")] = (
        "transformer"
    ),
    experts: Annotated[int, typer.Option(help="Mixture-of-experts heads (0 = a single head).")] = 0,
    val_every: Annotated[
        int | None, typer.Option("--val-every", help="Validate every N steps [default: 50].")
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(help="APP=WORKLOAD_FILE context for an application not built in (repeat)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    progress: Annotated[bool, typer.Option(help="Progress bar on stderr.")] = True,
) -> None:
    """Train the surrogate; writes RUN/metrics.jsonl, RUN/config.json and RUN/checkpoints/."""
    from prime_rs.cli.common import cli_errors, train_progress

    with cli_errors():
        from prime_rs import checks
        from prime_rs import data as data_mod
        from prime_rs.runs import removed_on_input_error, run_lock
        from prime_rs.train import TrainConfig
        from prime_rs.train import train as train_fn

        checks.seed(seed)

        # Only what the user gave overrides TrainConfig, the one home of the defaults.
        given = {"steps": steps, "alpha": alpha, "beta": beta, "val_every": val_every}
        cfg = TrainConfig(
            seed=seed,
            area_budget=area_budget,
            over_budget=over_budget,  # type: ignore[arg-type]
            alpha_dual=alpha_dual,
            tau=tau,
            ranking_weight=ranking_weight,
            negatives=negatives,  # type: ignore[arg-type]
            **{k: v for k, v in given.items() if v is not None},
        )
        if naive:
            cfg = cfg.as_naive()
        app_list = [a.strip() for a in apps.split(",") if a.strip()]
        dataset = data_mod.load(data)
        # Two trainings interleaving one run directory would each report success on a mix
        # of both: the second is refused while the first holds the directory.
        contexts = _parse_contexts(context or [])
        with cli_errors(resume_out=out), removed_on_input_error(out), run_lock(out):
            result = train_fn(
                dataset,
                app_list,
                out=out,
                config=cfg,
                model_config={"kind": model, "n_experts": experts},
                contexts=contexts,
                resume=resume,
                progress=train_progress() if progress else False,
            )
    summary = {
        "run": str(out),
        "apps": list(result.apps),
        "best_step": result.info.get("step"),
        "best_val_spearman": result.info.get("val_spearman"),
        "stopped_early": result.info.get("stopped_early"),
        "wall_s": round(float(result.info.get("wall_s", 0.0)), 2),
    }
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"trained {result!r}: best validation Spearman {summary['best_val_spearman']:.4f} "
            f"at step {summary['best_step']} in {summary['wall_s']} s; checkpoint in {out}"
        )


def register(app: typer.Typer) -> None:
    app.command("train")(train)
