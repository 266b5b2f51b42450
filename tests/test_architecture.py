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
    "prime_rs.data",
)
EVALUATION_ONLY = ("prime_rs.ground_truth",)


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
    assert violations(DECIDING, EVALUATION_ONLY) == {}
