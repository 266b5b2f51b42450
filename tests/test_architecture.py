"""Import directions of the package (docs/architecture.md has the map): the simulator's core
knows nothing of training or the command line, the library knows nothing of the command line,
and evaluation-only knowledge (the exhaustive optimum) never reaches training or search.

Imports inside functions count too: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import prime_rs

PACKAGE = Path(prime_rs.__file__).parent

# The core world: design space, workloads, simulator, references and oracles.
CORE = (
    "prime_rs.space",
    "prime_rs.simulator",
    "prime_rs.workloads",
    "prime_rs.errors",
    "prime_rs.checks",
    "prime_rs.fileio",
    "prime_rs.reference",
    "prime_rs.oracles",
)
TRAINING = ("prime_rs.train", "prime_rs.model", "jax", "equinox", "optax")
CLI = ("prime_rs.cli", "typer")
# Modules that learn, search or select candidates: they may not read the true optimum.
DECIDING = (
    "prime_rs.train",
    "prime_rs.model",
    "prime_rs.search",
    "prime_rs.optimize",
    "prime_rs.baselines",
    "prime_rs.pipeline",
    "prime_rs.run",
    "prime_rs.data",
)
EVALUATION_ONLY = ("prime_rs.ground_truth",)
# The run's evaluation stage: the one module of the jobs below the comparison that reads the
# optimum, reached only from the stage functions that follow the last oracle call.
EVALUATION_STAGE = "prime_rs.run.evaluation"
# Where, within the modules that decide, the evaluation stage is imported: module -> functions.
EVALUATION_CALLERS = {"prime_rs.run.optimize": {"_evaluation_stage"}}
# The jobs: they compose everything below and nothing below composes them.
ORCHESTRATION = ("prime_rs.run", "prime_rs.compare", "prime_rs.pipeline", "prime_rs.experiments")
# Fronts over the jobs, beside the CLI: the notebook API and the config file's schema.
FRONTS = ("prime_rs.api", "prime_rs.config")
# What the search package may not reach (it is driven by the jobs, and learns nothing itself).
ABOVE_SEARCH = ("prime_rs.data", "prime_rs.baselines", "prime_rs.optimize", *TRAINING)
UI = ("rich",)
# Modules that still draw their own progress: none (training reports
# prime_rs.progress.TrainProgress events, which the CLI draws).
UI_PENDING: set[str] = set()
# Old module names kept importable: each is only its successor.
ALIASES = {
    "prime_rs.objective": "prime_rs.task",
    "prime_rs.pipeline": "prime_rs.run",
    "prime_rs.experiments": "prime_rs.compare",
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(
    sources: tuple[str, ...], targets: tuple[str, ...], exact: bool = False
) -> dict[str, list[str]]:
    """Imports of ``targets`` by modules under ``sources`` (or exactly those, with ``exact``)."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        mod = module_name(path)
        if not (mod in sources if exact else within(mod, sources)):
            continue
        bad = sorted(i for i in imports_of(path) if within(i, targets))
        if bad:
            found[mod] = bad
    return found


def library() -> tuple[str, ...]:
    mods = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return tuple(sorted(m for m in mods if not within(m, ("prime_rs.cli", "prime_rs.__main__"))))


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    assert within("prime_rs.train.loop", TRAINING) and not within("prime_rs.trainer", TRAINING)
    assert "prime_rs.cli" in imports_of(PACKAGE / "__main__.py")
    assert "prime_rs.oracles._base" in imports_of(PACKAGE / "oracles" / "__init__.py")


def test_the_core_never_imports_training_or_the_cli() -> None:
    assert violations(CORE, TRAINING + CLI) == {}


def test_the_library_never_imports_the_cli() -> None:
    assert violations(library(), CLI, exact=True) == {}


def test_nothing_that_learns_or_searches_reads_the_optimum() -> None:
    deciding = tuple(m for m in library() if within(m, DECIDING) and m != EVALUATION_STAGE)
    assert violations(deciding, EVALUATION_ONLY, exact=True) == {}
    # Only the evaluation stage of the run reads it, and nothing that decides imports that.
    assert set(violations(library(), EVALUATION_ONLY, exact=True)) <= {
        EVALUATION_STAGE,
        *(m for m in library() if not within(m, DECIDING)),
    }


def _functions_importing(path: Path, target: str) -> set[str | None]:
    """The top-level functions of ``path`` whose bodies import ``target`` (None: the module
    level imports it)."""
    mod = module_name(path)
    package = mod.rpartition(".")[0]
    out: set[str | None] = set()
    tree = ast.parse(path.read_text("utf-8"))

    def names(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Import):
            return {a.name for a in node.names}
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            return {base, *(f"{base}.{a.name}" for a in node.names)}
        return set()

    for top in tree.body:
        found = any(within(n, (target,)) for node in ast.walk(top) for n in names(node))
        if found:
            is_fn = isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef)
            out.add(top.name if is_fn else None)
    return out


def test_the_evaluation_stage_is_reached_only_after_the_last_oracle_call() -> None:
    """train/, search/ and the run's training, search and verification never import the
    evaluation stage; in the run it is imported by ``_evaluation_stage`` alone, which
    run_optimize calls after verifying (tests/test_regret.py checks the order at run time)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        mod = module_name(path)
        found = _functions_importing(path, EVALUATION_STAGE) | _functions_importing(
            path, EVALUATION_ONLY[0]
        )
        if not found or mod == EVALUATION_STAGE or not within(mod, DECIDING):
            continue
        assert found <= EVALUATION_CALLERS.get(mod, set()), (mod, found)
    for sub in ("train", "search"):
        for path in (PACKAGE / sub).rglob("*.py"):
            assert not _functions_importing(path, EVALUATION_STAGE), path
            assert not _functions_importing(path, EVALUATION_ONLY[0]), path


def test_nothing_below_the_jobs_imports_them() -> None:
    below = tuple(m for m in library() if not within(m, ORCHESTRATION + FRONTS))
    assert violations(below, ORCHESTRATION, exact=True) == {}


def test_a_run_never_imports_the_comparison() -> None:
    assert violations(("prime_rs.run",), ("prime_rs.compare", "prime_rs.experiments")) == {}


def test_the_search_package_reaches_no_data_training_or_jobs() -> None:
    assert violations(("prime_rs.search",), ABOVE_SEARCH + ORCHESTRATION + CLI) == {}


def test_only_the_cli_draws_progress() -> None:
    drawing = violations(library(), UI, exact=True)
    assert set(drawing) <= UI_PENDING, sorted(set(drawing) - UI_PENDING)


def test_old_module_names_are_their_successors_only() -> None:
    import importlib

    for old, new in ALIASES.items():
        path = PACKAGE / (old.rpartition(".")[2] + ".py")
        own = {i for i in imports_of(path) if within(i, ("prime_rs",))}
        assert own and all(within(i, (new,)) or i == "prime_rs" for i in own), (old, own)
        assert set(getattr(importlib.import_module(new), "__all__", ())) <= set(
            dir(importlib.import_module(old))
        )
    assert importlib.import_module("prime_rs.objective") is importlib.import_module("prime_rs.task")


def test_renamed_settings_keep_their_old_names() -> None:
    from prime_rs import data, optimize

    assert optimize.SearchConfig is optimize.SurrogateSearchConfig
    assert data.SearchSettings is data.GenerationSearchSettings
    assert optimize.SurrogateSearchConfig is not data.GenerationSearchSettings
