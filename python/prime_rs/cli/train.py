"""`prime-rs train`: fit the PRIME conservative surrogate on a logged dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from prime_rs.cli import common
from prime_rs.task import DEFAULT_AREA_BUDGET


def train(
    data: Annotated[Path, typer.Option("--data", "-d", help="Logged dataset (Parquet or CSV).")],
    apps: Annotated[
        str,
        typer.Option(
            "--apps",
            help="Comma-separated applications: names in the data or workload files (.json, "
            ".toml, .onnx); several train the contextual model.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Run directory (metrics.jsonl, checkpoints).")
    ],
    steps: common.StepsOpt = None,
    seed: common.SeedOpt = None,
    area_budget: Annotated[
        float,
        typer.Option("--area-budget", help="Chip area budget in mm² (negatives stay within it)."),
    ] = DEFAULT_AREA_BUDGET,
    over_budget: Annotated[
        Literal["regress", "infeasible"],
        typer.Option(
            "--over-budget",
            help="Feasible rows over the budget: regress (kept as regression targets) or "
            "infeasible (the released PRIME split).",
        ),
    ] = "regress",
    resume: Annotated[
        bool,
        typer.Option(
            "--resume/--no-resume", help="Continue the run in --out (a larger --steps extends it)."
        ),
    ] = False,
    overwrite: common.OverwriteOpt = False,
    naive: Annotated[
        bool,
        typer.Option(
            "--naive", help="Non-conservative baseline: alpha = beta = 0 (plain regression)."
        ),
    ] = False,
    alpha: Annotated[
        float | None,
        typer.Option(
            "--alpha",
            help="Weight of the negatives' mean score.",
            show_default=common.table_default("train.alpha"),
            min=0,
        ),
    ] = None,
    beta: Annotated[
        float | None,
        typer.Option(
            "--beta",
            help="Weight of the infeasible rows' mean score.",
            show_default=common.table_default("train.beta"),
            min=0,
        ),
    ] = None,
    alpha_dual: Annotated[
        bool, typer.Option("--alpha-dual", help="COMs-style dual update of alpha towards --tau.")
    ] = False,
    tau: Annotated[float, typer.Option("--tau", help="Target gap for --alpha-dual.")] = 0.5,
    ranking_weight: Annotated[
        float,
        typer.Option("--ranking-weight", help="Weight of the pairwise ranking loss.", min=0),
    ] = 0.0,
    negatives: Annotated[
        Literal["evolution", "gradient"],
        typer.Option("--negatives", help="How negatives are mined from the model."),
    ] = "evolution",
    model: Annotated[
        Literal["transformer", "mlp"], typer.Option("--model", help="Surrogate architecture.")
    ] = "transformer",
    experts: Annotated[
        int,
        typer.Option("--experts", help="Mixture-of-experts heads (0 = a single head).", min=0),
    ] = 0,
    val_every: Annotated[
        int | None,
        typer.Option(
            "--val-every",
            help="Validate every N steps.",
            show_default=common.table_default("train.val_every"),
            min=1,
        ),
    ] = None,
    workload: Annotated[
        list[str] | None,
        typer.Option(
            "--workload",
            "--context",
            help="APP=WORKLOAD_FILE: the network of an application known from data only "
            "(repeatable).",
        ),
    ] = None,
    as_json: common.JsonOpt = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")
    ] = True,
) -> None:
    """Train the surrogate on logged data.

    Writes RUN/metrics.jsonl, RUN/config.json, RUN/dataset.json and RUN/checkpoints/; the run
    can then be reused by prime-rs optimize --model-run RUN.
    """
    with common.cli_errors():
        from prime_rs import checks, runs, workloads
        from prime_rs import data as data_mod
        from prime_rs.errors import InvalidArgumentError
        from prime_rs.run.model_run import record_training_data
        from prime_rs.runs import removed_on_input_error, run_lock
        from prime_rs.train import TrainConfig
        from prime_rs.train import train as train_fn

        if resume and overwrite:
            raise InvalidArgumentError("--resume continues a run and --overwrite replaces it")
        seed_value = checks.seed(0 if seed is None else seed)
        # Only what the user gave overrides TrainConfig, the one home of the defaults.
        given = {"steps": steps, "alpha": alpha, "beta": beta, "val_every": val_every}
        cfg = TrainConfig(
            seed=seed_value,
            area_budget=area_budget,
            over_budget=over_budget,
            alpha_dual=alpha_dual,
            tau=tau,
            ranking_weight=ranking_weight,
            negatives=negatives,
            **{k: v for k, v in given.items() if v is not None},
        )
        if naive:
            cfg = cfg.as_naive()
        resolved = workloads.applications(common.split_names(apps) or [], data_only=True)
        contexts: dict[str, object] = {a.name: a.workload.context for a in resolved if a.is_file}
        contexts.update(common.parse_workload_flags(workload or []))
        dataset = data_mod.load(data)
        # Two trainings interleaving one run directory would each report success on a mix
        # of both: the second is refused while the first holds the directory.
        with (
            common.cli_errors(resume_out=out),
            removed_on_input_error(out),
            run_lock(out),
            common.search_progress(enabled=progress) as bar,
        ):
            if overwrite:
                runs.empty_dir(out)
            result = train_fn(
                dataset,
                [a.name for a in resolved],
                out=out,
                config=cfg,
                model_config={"kind": model, "n_experts": experts},
                contexts=contexts,
                resume=resume,
                progress=bar if progress else False,
            )
            record_training_data(out, dataset, data)
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
