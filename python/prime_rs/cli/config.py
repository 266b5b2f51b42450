"""`prime-rs config schema | check`, and the flags of the config schema's tables: every field
of ``[train]``, ``[model]`` and ``[search]`` (:mod:`prime_rs.config`) is a flag of
``optimize`` and ``propose``, named, described, ranged and defaulted by the schema itself."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from prime_rs.cli.common import cli_errors, escape

config_app = typer.Typer(
    name="config",
    help="The configuration schema of optimize: print it, or check a config file against it.",
    no_args_is_help=True,
)

#: The tables whose fields become flags, and the help panel each is listed under.
TABLES = {"train": "Training", "model": "Surrogate model", "search": "Search"}
#: Flags named otherwise than their field (the names `prime-rs train` has always used).
_FLAG_NAMES = {
    "model.kind": ("--model",),
    "model.n_experts": ("--experts",),
    "search.candidates": ("--candidates", "-k"),
}


@dataclass(frozen=True)
class TableFlag:
    """One field of a table as a command-line option."""

    key: str  # the schema's dotted key, e.g. "train.alpha"
    param: str  # the command function's parameter name
    annotation: Any
    convert: Callable[[Any], Any]


def _bounds(field: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in field.metadata:
        for attr in ("ge", "gt", "le", "lt"):
            if getattr(m, attr, None) is not None:
                out[attr] = getattr(m, attr)
    return out


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


@functools.cache
def table_flags() -> tuple[TableFlag, ...]:
    """A flag for every field of the flagged tables, in the schema's order."""
    from prime_rs.config import OptimizeConfig

    out = []
    for table, panel in TABLES.items():
        cls = OptimizeConfig.model_fields[table].annotation
        for name, field in cls.model_fields.items():  # type: ignore[union-attr]
            key = f"{table}.{name}"
            dash = name.replace("_", "-")
            names = _FLAG_NAMES.get(key, (f"--{dash}",))
            kind = field.annotation
            bounds = _bounds(field)
            help_text = escape(field.description or "")
            # Open bounds have no typer form: said in the help, checked by the schema.
            if "gt" in bounds:
                help_text += f" Must be > {bounds['gt']}."
            if "lt" in bounds:
                help_text += f" Must be < {bounds['lt']}."
            opts: dict[str, Any] = {
                "help": help_text,
                "show_default": _shown(field.default),
                "rich_help_panel": f"{panel} settings",
            }
            if "ge" in bounds:
                opts["min"] = bounds["ge"]
            if "le" in bounds:
                opts["max"] = bounds["le"]
            convert: Callable[[Any], Any] = _identity
            if kind is bool:
                names = (f"--{dash}/--no-{dash}",)
                annotation: Any = bool | None
            elif typing.get_origin(kind) is Literal:
                annotation = kind | None
            elif typing.get_origin(kind) is list:
                annotation = str | None
                opts["metavar"] = "N,N,..."
                convert = functools.partial(_integers, option=names[0])
            else:
                annotation = kind | None
            option = typer.Option(*names, **opts)
            param = f"{table}_{name}"
            out.append(TableFlag(key, param, Annotated[annotation, option], convert))
    return tuple(out)


def _identity(value: Any) -> Any:
    return value


def _integers(value: Any, option: str) -> Any:
    from prime_rs.cli.common import split_integers

    return None if value is None else split_integers(value, option, minimum=1)


def with_table_flags(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the table flags to a command: ``fn`` receives them as ``table_flags``, a mapping of
    dotted keys to the given values (None: not given, so the file or the default applies)."""
    specs = table_flags()
    hints = typing.get_type_hints(fn, include_extras=True)
    sig = inspect.signature(fn)
    own = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in sig.parameters.values()
        if p.name != "table_flags"
    ]
    extra = [
        inspect.Parameter(
            s.param, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=s.annotation
        )
        for s in specs
    ]

    @functools.wraps(fn)
    def command(*args: Any, **kw: Any) -> Any:
        with cli_errors():
            given = {s.key: s.convert(kw.pop(s.param, None)) for s in specs}
        return fn(*args, **kw, table_flags=given)

    params = own + extra
    command.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


@config_app.command("schema")
def schema(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the schema to this file instead of stdout."),
    ] = None,
) -> None:
    """Print the JSON Schema of optimize's configuration (docs/config.schema.json)."""
    from prime_rs.config import json_schema

    text = json_schema()
    if out is None:
        print(text, end="")
        return
    with cli_errors():
        from prime_rs import runs

        runs.write_text(out, text)


@config_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="A config TOML, or a run's config.toml.")],
) -> None:
    """Validate a config file against the schema (exit 2 naming every bad key)."""
    with cli_errors():
        from prime_rs import config

        config.load(file).to_settings()
    print(f"{file}: valid")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
