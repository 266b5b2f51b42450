"""Outputs of short training runs for fixed seeds, through public APIs only.

``tests/golden/train.json`` holds what this produced on the code *before* ``train()`` became a
driver over a ``Trainer`` and the evolutionary negatives became (mu + lambda) + the surrogate
driver (commit b80760b); ``tests/test_trainer.py`` checks that the current code produces
exactly the same bytes: the final and best parameters, the optimiser state, the negatives and
their warm-start pool, the generator state and every logged metric but the wall time. Since
then it was re-recorded twice, each time for a reported change of results: simulator model
revision 2, and dropout masks from a counter hash (``model.dropout_mask``, which moved only
the ``evolution/transformer`` case: the MLP cases have no dropout).

XLA's CPU results depend on its thread count (docs/performance/training.md), so the runs are
made in a child process pinned to one CPU (its thread pools then have one thread whatever the
machine) and to one intra-op thread (``FLAGS``); the record also names the jax version it was
made with, and a different one is reported rather than compared.

Regenerate only for a deliberate, reported change of results:
``python tests/_train_golden.py > tests/golden/train.json`` (it pins the flags itself).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

#: One XLA thread: the same bytes on any machine's core count (with the one-CPU affinity).
FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

TINY = {"d_model": 16, "n_heads": 2, "ffn_dim": 32, "head_hidden": (32,), "n_layers": 1}
MLP = {"kind": "mlp", "head_hidden": (32,)}
BASE = {
    "steps": 8,
    "val_every": 4,
    "batch_size": 32,
    "infeasible_batch_size": 32,
    "n_negatives": 24,
    "negatives_every": 2,
    "evo_generations": 2,
    "warmup_steps": 2,
    "area_budget": 27.0,
    "val_max_rows": 64,
    "patience": 0,
}
#: name -> (applications, model config, training overrides).
CASES: dict[str, tuple[tuple[str, ...], dict[str, Any], dict[str, Any]]] = {
    "evolution/transformer": (("mobilenet_v2",), TINY, {"seed": 3}),
    "evolution/contextual": (("mobilenet_v2", "resnet50"), MLP, {"seed": 5, "n_negatives": 40}),
    "evolution/no-generations": (("mobilenet_v2",), MLP, {"seed": 1, "evo_generations": 0}),
    "gradient/dual-alpha": (
        ("mobilenet_v2",),
        MLP,
        {"seed": 2, "negatives": "gradient", "alpha_dual": True, "alpha": 0.1},
    ),
}


def _dataset(apps: tuple[str, ...], n: int = 2000) -> Any:
    import numpy as np

    from prime_rs import SPACE, simulate

    parts = []
    for i, app in enumerate(apps):
        d = SPACE.sample(n, seed=i)
        r = simulate(d, app)
        parts.append((d, np.full(n, app, dtype=object), r))
    return types.SimpleNamespace(
        designs=np.concatenate([p[0] for p in parts]),
        application=np.concatenate([p[1] for p in parts]),
        latency_ms=np.concatenate([p[2].latency_ms for p in parts]),
        area_mm2=np.concatenate([p[2].area_mm2 for p in parts]),
        feasible=np.concatenate([p[2].feasible for p in parts]),
    )


def _digest(tree: Any) -> str:
    import equinox as eqx
    import jax
    import numpy as np

    h = hashlib.sha256()
    for leaf in jax.tree.leaves(eqx.filter(tree, eqx.is_array)):
        a = np.asarray(leaf)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _arrays_digest(path: Path) -> dict[str, str]:
    import numpy as np

    with np.load(path) as z:
        return {k: hashlib.sha256(np.ascontiguousarray(z[k]).tobytes()).hexdigest() for k in z}


def _case(apps: tuple[str, ...], model_config: dict[str, Any], kw: dict[str, Any]) -> Any:
    from prime_rs.train import checkpoint, load, train

    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        model = train(
            _dataset(apps),
            list(apps),
            out=run,
            model_config=model_config,
            **{
                **BASE,
                **kw,
            },
        )
        latest, meta = checkpoint.read_pointer(run, "latest")
        best, best_meta = checkpoint.read_pointer(run, "best")
        metrics = [json.loads(s) for s in (run / "metrics.jsonl").read_text().splitlines()]
        for m in metrics:
            m.pop("time_s")
        return {
            "returned_model": _digest(model.model),
            "latest_model": _digest(load(run, "latest").model),
            "latest_step": meta["step"],
            "best_step": best_meta["step"],
            "best_model_file": hashlib.sha256((best / "model.eqx").read_bytes()).hexdigest(),
            "latest_state_file": hashlib.sha256((latest / "state.eqx").read_bytes()).hexdigest(),
            "arrays": _arrays_digest(latest / "arrays.npz"),
            "rng_state": json.loads(json.dumps(meta["rng_state"])),
            "metrics": metrics,
        }


def compute() -> dict[str, Any]:
    """The record, computed in this process (run it under ``FLAGS``)."""
    import jax

    out: dict[str, Any] = {"jax": jax.__version__}
    for name, (apps, mcfg, kw) in CASES.items():
        out[name] = _case(apps, mcfg, kw)
    return out


def compute_pinned() -> dict[str, Any]:
    """The record, computed in a child process with one XLA thread."""
    env = {**os.environ, "XLA_FLAGS": FLAGS, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, __file__, "--here"], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the golden training runs failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def pin_to_one_cpu() -> None:
    """Run this process on one CPU (before jax starts its thread pools)."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


if __name__ == "__main__":
    if "--here" in sys.argv:
        pin_to_one_cpu()
    record = compute() if "--here" in sys.argv else compute_pinned()
    print(json.dumps(record, indent=1, sort_keys=True))
