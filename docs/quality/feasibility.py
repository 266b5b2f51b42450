"""Would a feasibility classifier beside the surrogate close the gap to the optimum (issue 10
item 4)? Measured offline from finished `compare` runs (docs/compare/paper.sh), like
ensemble.py: each task's three PRIME runs trained three surrogates on the same logs. This trains
one classifier per task on the same logged data only (in-budget rows; label: the simulator found
the design feasible), then searches each run's own surrogate again with the run's own settings
and seed, its score discounted by the classifier, verifies the K proposals and only then reads
the true optimum (evaluation only). The same 128 oracle calls; a few seconds of training more.

    python docs/quality/feasibility.py docs/compare/specialise/rnnt_encoder [more dirs...]

Scores: ``soft`` = score + log p(feasible) (the log of a probability-weighted exp-score: a
design the classifier doubts pays what its doubt is worth, in standard deviations of the
score); ``filter`` = the score where p >= 0.5, and 100 below it elsewhere (only designs the
classifier calls feasible compete). The run's own search is repeated unchanged ("single":
same model, same search seed; checked against the run's best.json), so each row is a paired
comparison.
"""

from __future__ import annotations

import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import paired_search

from prime_rs import SPACE, data
from prime_rs.task import Task

STEPS = 3000
BATCH = 512
HIDDEN = 256
VAL_FRACTION = 0.1


def classifier(ds: data.Dataset, task: Task, seed: int) -> tuple[eqx.nn.MLP, dict[str, float]]:
    """An MLP on the one-hot designs: logit of P(feasible), from the in-budget logged rows."""
    inside = task.within_area(ds.designs)
    x = SPACE.onehot(ds.designs[inside])
    y = ds.feasible[inside].astype(np.float32)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    n_val = int(len(x) * VAL_FRACTION)
    val, fit = order[:n_val], order[n_val:]
    key = jax.random.PRNGKey(seed)
    model = eqx.nn.MLP(x.shape[1], 1, HIDDEN, 2, activation=jax.nn.gelu, key=key)
    opt = optax.adam(optax.cosine_decay_schedule(1e-3, STEPS))
    state = opt.init(eqx.filter(model, eqx.is_inexact_array))
    # Feasible rows are the minority on the hard tasks: weigh the classes equally.
    pos = float(y[fit].mean())
    w1, w0 = 0.5 / max(pos, 1e-6), 0.5 / max(1 - pos, 1e-6)

    def loss(m: eqx.nn.MLP, xb: jax.Array, yb: jax.Array) -> jax.Array:
        logit = jax.vmap(m)(xb)[:, 0]
        w = yb * w1 + (1 - yb) * w0
        return jnp.mean(w * optax.sigmoid_binary_cross_entropy(logit, yb))

    @eqx.filter_jit
    def step(m, s, xb, yb):
        g = eqx.filter_grad(loss)(m, xb, yb)
        upd, s = opt.update(g, s, eqx.filter(m, eqx.is_inexact_array))
        return eqx.apply_updates(m, upd), s

    xf, yf = jnp.asarray(x[fit]), jnp.asarray(y[fit])
    for _ in range(STEPS):
        b = rng.integers(0, len(fit), BATCH)
        model, state = step(model, state, xf[b], yf[b])
    pred = np.asarray(jax.vmap(model)(jnp.asarray(x[val]))[:, 0]) > 0
    truth = y[val] > 0.5
    stats = {
        "in_budget_rows": float(len(x)),
        "feasible_share": float(y.mean()),
        "val_accuracy": float((pred == truth).mean()),
        "val_recall_feasible": float(pred[truth].mean()) if truth.any() else float("nan"),
        "val_precision_feasible": float(truth[pred].mean()) if pred.any() else float("nan"),
    }
    return model, stats


def log_p_feasible(model: eqx.nn.MLP):
    f = eqx.filter_jit(lambda xb: jax.nn.log_sigmoid(jax.vmap(model)(xb)[:, 0]))

    def score(designs: np.ndarray) -> np.ndarray:
        return np.asarray(f(jnp.asarray(SPACE.onehot(designs))), np.float64)

    return score


def study(compare_dir: Path) -> tuple[paired_search.Found, dict[str, float]]:
    st = paired_search.load(compare_dir)
    clf, stats = classifier(st.logged, st.task, seed=0)
    log_p = log_p_feasible(clf)

    def soft(s: paired_search.ScoreFn) -> paired_search.ScoreFn:
        return lambda d: s(d) + log_p(d)

    def filtered(s: paired_search.ScoreFn) -> paired_search.ScoreFn:
        return lambda d: s(d) - 100.0 * (log_p(d) < np.log(0.5))

    return paired_search.repeat(st, {"soft": soft, "filter": filtered}), stats


def main(argv: list[str]) -> int:
    print(
        "| task | classifier: val accuracy (recall, precision of 'feasible') | single model "
        "| + log p(feasible) | only p >= 0.5 |"
    )
    print("| --- | --- | ---: | ---: | ---: |")
    for d in argv:
        r, s = study(Path(d))
        clf = (
            f"{s['val_accuracy']:.3f} ({s['val_recall_feasible']:.3f}, "
            f"{s['val_precision_feasible']:.3f}); {s['feasible_share']:.0%} of "
            f"{s['in_budget_rows']:,.0f} feasible"
        )
        print(
            f"| {Path(d).name} | {clf} | {paired_search.cell(r['single'])} | {paired_search.cell(r['soft'])} | "
            f"{paired_search.cell(r['filter'])} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
