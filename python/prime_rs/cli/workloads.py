"""`prime-rs workloads`: the zoo, one network's layers, and networks imported from ONNX."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli.common import JsonOpt, OverwriteOpt, cli_errors

workloads_app = typer.Typer(
    help="Built-in networks, example workload files, their layers, and networks imported from ONNX.",
    no_args_is_help=True,
)


@workloads_app.command("list")
def list_workloads(
    as_json: JsonOpt = False,
) -> None:
    """The built-in networks and the example workload files: MACs, parameters, layer count."""
    from prime_rs import workloads

    rows = []
    for kind, names, get in (
        ("built-in", workloads.names(), workloads.load),
        ("example", workloads.examples(), workloads.example),
    ):
        for name in names:
            w = get(name)
            rows.append({"name": name, "kind": kind, "macs": w.macs, "params": w.params,
                         "layers": len(w.layers)})  # fmt: skip
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    width = max(len(r["name"]) for r in rows)
    print(f"{'name':<{width}}  {'kind':<8}  {'MACs':>10}  {'params':>9}  layers")
    for r in rows:
        print(
            f"{r['name']:<{width}}  {r['kind']:<8}  {r['macs'] / 1e6:>8.1f} M  "
            f"{r['params'] / 1e6:>7.2f} M  {r['layers']:>6}"
        )
    print(
        "examples are files: `prime-rs workloads example NAME -o NAME.toml`, then --apps NAME.toml"
    )


@workloads_app.command("show")
def show(
    name: Annotated[
        str, typer.Argument(help="A built-in name, an example name or a .json/.toml/.onnx file.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """One network's layers, with their kind and shape."""
    with cli_errors():
        w = _load(name)
    if as_json:
        print(json.dumps({"name": w.name, "macs": w.macs, "params": w.params,
                          "layers": list(w.layers)}, indent=2))  # fmt: skip
        return
    print(
        f"{w.name}: {len(w.layers)} layers, {w.macs / 1e6:.1f} M MACs, {w.params / 1e6:.2f} M params"
    )
    for i, layer in enumerate(w.layers):
        shape = ", ".join(f"{k}={v}" for k, v in layer.items() if k not in ("type", "name"))
        print(f"{i:>4}  {layer.get('name', ''):<28} {layer['type']:<16} {shape}")


@workloads_app.command("example")
def example(
    name: Annotated[str, typer.Argument(help="An example workload (see `workloads list`).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write.", show_default="print to stdout"),
    ] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Write an example workload file shipped with the package, to edit into your own network."""
    with cli_errors():
        from prime_rs import workloads
        from prime_rs.errors import OutputError
        from prime_rs.fileio import atomic_path

        text = workloads.example_text(name)
        if out is None:
            print(text, end="")
            return
        if out.exists() and not overwrite:
            raise OutputError(f"{out} exists; pass --overwrite to replace it")
        with atomic_path(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
    w = workloads.example(name)
    print(f"{out}: {w.name}, {len(w.layers)} layers, {w.macs / 1e6:.1f} M MACs")


@workloads_app.command("import")
def import_onnx(
    model: Annotated[Path, typer.Argument(help="The ONNX model.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Workload file to write (.toml or .json).")
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Workload name.", show_default="the file's stem")
    ] = None,
) -> None:
    """Convert an ONNX model into a workload file (needs `pip install 'prime-rs[onnx]'`)."""
    with cli_errors():
        from prime_rs.errors import InvalidArgumentError
        from prime_rs.fileio import atomic_path
        from prime_rs.onnx_import import layers_from_onnx, load_onnx

        if out.suffix not in (".toml", ".json"):
            raise InvalidArgumentError(f"--out must end in .toml or .json, got {out.name!r}")
        graph_name, layers = layers_from_onnx(model)
        w = load_onnx(model, name=name)  # validates the layers through the native parser
        doc = {"name": w.name, "description": f"imported from ONNX graph {graph_name!r}",
               "layers": layers}  # fmt: skip
        with atomic_path(out) as tmp:
            if out.suffix == ".json":
                tmp.write_text(json.dumps(doc, indent=1) + "\n")
            else:
                import tomli_w

                tmp.write_text(tomli_w.dumps(doc))
    print(f"{out}: {len(layers)} layers, {w.macs / 1e6:.1f} M MACs, {w.params / 1e6:.2f} M params")


def _load(name: str) -> Any:
    from prime_rs import workloads

    if name in workloads.examples() and name not in workloads.names():
        return workloads.example(name)
    return workloads.load(name)


def register(app: typer.Typer) -> None:
    app.add_typer(workloads_app, name="workloads")
