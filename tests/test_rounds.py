"""`optimize --rounds R` (issue 10 item 5): each round's verified designs join the data, the
surrogate is fine-tuned from the last round's model and proposes designs never verified before;
rounds.jsonl is the best-so-far curve against oracle calls; an interrupted run resumes from its
last finished round to the result an uninterrupted one gives; `compare` runs it as
``prime_rounds`` beside the baselines at the same budgets."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from prime_rs import SPACE, data, train
from prime_rs.errors import InvalidArgumentError, TrainingError
from prime_rs.run import OptimizeSettings, run_optimize
from prime_rs.run.rounds import evaluation_rows, read_rounds, round_seed

FAST: dict[str, Any] = {
    "area_budget": 8.0,
    "steps": 30,
    "population": 64,
    "generations": 5,
    "candidates": 16,
    "optimum": False,
}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "logs.parquet"
    data.write_generated(path, ["mobilenet_v2"], 4000, seed=1)
    return path


@pytest.fixture(scope="module")
def three(logs: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("runs") / "three"
    return run_optimize(
        OptimizeSettings(data=str(logs), rounds=3, finetune_steps=20, **FAST),
        out,
        raise_if_none_feasible=False,
    )


def test_each_round_verifies_k_designs_never_verified_before(three: Any) -> None:
    run = three.run_dir
    records = read_rounds(run)
    assert [r["round"] for r in records] == [1, 2, 3]
    assert [r["simulator_calls"] for r in records] == [16, 32, 48]
    assert all(r["new_designs"] == r["oracle_calls"] == 16 for r in records)
    cands = pq.read_table(run / "candidates.parquet").to_pydict()
    designs = SPACE.from_values(np.column_stack([cands[n] for n in SPACE.names]))
    assert len(np.unique(SPACE.to_ids(designs))) == 48  # no design verified twice
    assert three.best["simulator_calls"] == 48 and three.best["candidates"] == 48
    assert three.best["rounds"] == records
    assert three.best["surrogate"]["finetune_steps"] == 20
    # The first 16 rows are round 1's, as a one-round run writes them.
    for r in (2, 3):
        part = pq.read_table(run / "rounds" / f"round-{r}" / "candidates.parquet").to_pydict()
        lo = 16 * (r - 1)
        assert part["mean_latency_ms"] == cands["mean_latency_ms"][lo : lo + 16]
        assert part["surrogate_score"] == cands["surrogate_score"][lo : lo + 16]


def test_the_curve_is_the_best_so_far(three: Any) -> None:
    records = read_rounds(three.run_dir)
    so_far = [r["best_so_far_ms"] for r in records]
    # None until a round verifies a feasible design (a tiny model may miss in round 1), then
    # defined in every later round and never rising.
    first = next(i for i, b in enumerate(so_far) if b is not None)
    assert all(b is None for b in so_far[:first]) and None not in so_far[first:]
    assert all(later <= earlier for earlier, later in itertools.pairwise(so_far[first:]))
    per_round = [r["best_latency_ms"] for r in records if r["best_latency_ms"] is not None]
    assert so_far[-1] == min(per_round) == three.best["latency_ms"]["mean"]
    md = (three.run_dir / "report.md").read_text()
    assert "## Rounds" in md and "| round | oracle calls |" in md
    assert (three.run_dir / "plots" / "rounds.png").read_bytes()[:4] == b"\x89PNG"


def test_later_rounds_train_on_the_verified_designs(three: Any, logs: Path) -> None:
    """Round 3's surrogate was fine-tuned on the logs plus rounds 1 and 2 (its validation split
    is drawn from them, so it holds more rows), from round 2's model."""
    base = data.load(logs)
    r2 = data.load(three.run_dir / "rounds" / "round-2" / "verified.parquet")
    assert len(r2) == 16 and r2.metadata == base.metadata
    meta = json.loads((three.run_dir / "rounds" / "round-3" / "model" / "config.json").read_text())
    assert meta["train_config"]["steps"] == 20
    assert meta["train_config"]["seed"] == round_seed(0, 3) != 0
    assert round_seed(7, 1) == 7


def test_verified_rows_round_trip(three: Any) -> None:
    from prime_rs.run.rounds import _evaluation_of
    from prime_rs.task import Task

    task = Task("mobilenet_v2", 8.0)
    ev = task.evaluate(three.verified.designs[:10])
    back = _evaluation_of(evaluation_rows(ev, task, {}), task)
    for name in ("designs", "latency_ms", "feasible", "area_mm2", "within_area", "objective"):
        np.testing.assert_array_equal(getattr(back, name), getattr(ev, name))
    assert back.reason.tolist() == ev.reason.tolist()


def test_fine_tuning_starts_from_the_given_model(logs: Path) -> None:
    ds = data.load(logs)
    first = train.train(ds, "mobilenet_v2", steps=10, val_every=5)
    # A vanishing learning rate keeps the starting weights: the predictions are the first
    # model's, and a fresh start's are not.
    same = train.train(ds, "mobilenet_v2", steps=3, learning_rate=1e-30, init=first, seed=9)
    fresh = train.train(ds, "mobilenet_v2", steps=3, learning_rate=1e-30, seed=9)
    probe = ds.designs[:50]
    np.testing.assert_allclose(
        same.score(probe, "mobilenet_v2"), first.score(probe, "mobilenet_v2"), rtol=1e-6
    )
    assert not np.array_equal(
        fresh.score(probe, "mobilenet_v2"), first.score(probe, "mobilenet_v2")
    )
    with pytest.raises(TrainingError, match="cannot fine-tune"):
        train.train(
            ds, "mobilenet_v2", steps=2, init=first, model_config={"d_model": 32, "n_heads": 4}
        )


def _interrupted(three: Any, tmp_path: Path, keep_model: bool) -> Path:
    """The run as a kill during round 3 leaves it: round 3 unrecorded (its directory without
    results, with or without the finished fine-tuning), no summary written yet."""
    run = tmp_path / "run"
    shutil.copytree(three.run_dir, run)
    lines = (run / "rounds.jsonl").read_text().splitlines(keepends=True)
    (run / "rounds.jsonl").write_text("".join(lines[:2]))
    here = run / "rounds" / "round-3"
    for name in ("verified.parquet", "candidates.parquet", "search.jsonl"):
        (here / name).unlink()
    if not keep_model:
        shutil.rmtree(here / "model")
    for name in ("best.json", "report.md", "report.html"):
        (run / name).unlink()
    return run


@pytest.mark.parametrize("keep_model", [False, True])
def test_resume_after_an_interrupted_round(
    three: Any, logs: Path, tmp_path: Path, keep_model: bool
) -> None:
    run = _interrupted(three, tmp_path, keep_model)
    out = run_optimize(
        OptimizeSettings(data=str(logs), rounds=3, finetune_steps=20, **FAST),
        run,
        resume=True,
        raise_if_none_feasible=False,
    )
    ref = three.run_dir
    for name in ("candidates.parquet", "rounds.jsonl", "rounds/round-3/verified.parquet"):
        assert (run / name).read_bytes() == (ref / name).read_bytes(), name
    assert out.best == three.best


def test_resume_reads_finished_rounds_back(
    three: Any, logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finished rounds are not fine-tuned, searched or verified again."""
    run = tmp_path / "run"
    shutil.copytree(three.run_dir, run)
    from prime_rs.run import rounds

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a finished round ran again")

    real = rounds.run_rounds

    def checked(inputs: Any, *args: Any, **kwargs: Any) -> Any:
        inputs.fine_tune = inputs.search = never
        return real(inputs, *args, **kwargs)

    monkeypatch.setattr(rounds, "run_rounds", checked)
    out = run_optimize(
        OptimizeSettings(data=str(logs), rounds=3, finetune_steps=20, **FAST),
        run,
        resume=True,
        raise_if_none_feasible=False,
    )
    assert out.best == three.best


def test_one_round_is_the_offline_run(three: Any, logs: Path, tmp_path: Path) -> None:
    """``--rounds 1`` (the default) is the offline run: round 1 of a longer run is it exactly,
    and it writes the one-point curve."""
    one = run_optimize(
        OptimizeSettings(data=str(logs), **FAST), tmp_path / "one", raise_if_none_feasible=False
    )
    assert "rounds" not in one.best
    first = read_rounds(three.run_dir)[0]
    assert read_rounds(one.run_dir) == [first]
    table = pq.read_table(one.run_dir / "candidates.parquet").to_pydict()
    full = pq.read_table(three.run_dir / "candidates.parquet").to_pydict()
    assert table == {k: v[:16] for k, v in full.items()}
    assert not (one.run_dir / "rounds").exists()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"rounds": 0}, "rounds must be >= 1"),
        ({"finetune_steps": 0}, "finetune_steps must be >= 1"),
        (
            {"rounds": 2, "zero_shot": True, "apps": ["unet"], "train_apps": ["mobilenet_v2"]},
            "zero-shot",
        ),
    ],
)
def test_bad_round_settings(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        OptimizeSettings(**kw)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rounds", "0"], "--rounds must be at least 1"),
        (["--rounds", "2", "--finetune-steps", "0"], "--finetune-steps must be at least 1"),
        (["--rounds", "2", "--oracle", "none"], "no oracle to verify with"),
    ],
)
def test_cli_bad_rounds_exit_2_and_write_nothing(
    logs: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    from prime_rs.cli import _register, app

    _register()
    out = tmp_path / "run"
    res = CliRunner().invoke(
        app, ["optimize", "--data", str(logs), "--steps", "5", "--out", str(out), *args]
    )
    assert res.exit_code == 2, res.output
    assert message in res.stderr
    assert not out.exists()


def test_compare_runs_prime_rounds_beside_the_baselines(logs: Path, tmp_path: Path) -> None:
    from prime_rs.compare import CompareSettings, run_compare

    s = CompareSettings(
        apps=["mobilenet_v2"],
        area_budget=8.0,
        data=str(logs),
        seeds=[0],
        steps=30,
        population=64,
        generations=5,
        candidates=16,
        rounds=2,
        finetune_steps=20,
        budgets=[64],
        methods=["prime_rounds", "random_search"],
        optimum=False,
    )
    assert s.reported_budgets == [16, 32, 64]
    rows = run_compare(s, tmp_path / "c")
    mine = [r for r in rows if r["method"] == "prime_rounds"]
    records = read_rounds(tmp_path / "c" / "runs" / "prime_rounds-seed0")
    assert [r["simulator_calls"] for r in mine] == [16, 32]
    assert [r["best_latency_ms"] for r in mine] == [r["best_so_far_ms"] for r in records]
    assert {r["simulator_calls"] for r in rows if r["method"] == "random_search"} == {16, 32, 64}
    md = (tmp_path / "c" / "results.md").read_text()
    assert "| prime_rounds | 32 |" in md


def test_sigkill_during_a_later_round_then_resume_is_identical(logs: Path, tmp_path: Path) -> None:
    """A real interruption: SIGKILL while round 2 fine-tunes, then --resume, gives the files an
    uninterrupted run writes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "PRIME_RS_CACHE": str(tmp_path / "cache"), "JAX_PLATFORMS": "cpu"}
    args = [sys.executable, "-m", "prime_rs", "optimize", "--data", str(logs), "--area-budget",
            "8", "--steps", "30", "--population", "64", "--generations", "5", "--candidates",
            "16", "--rounds", "2", "--finetune-steps", "200", "--no-optimum"]  # fmt: skip
    killed = tmp_path / "killed"
    latest = killed / "rounds" / "round-2" / "model" / "checkpoints" / "latest.json"
    proc = subprocess.Popen([*args, "--out", str(killed)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    t0 = time.monotonic()
    try:
        while not latest.exists():
            if proc.poll() is not None:
                pytest.fail(f"optimize finished (rc {proc.returncode}) before it could be killed")
            if time.monotonic() - t0 > 600:
                pytest.fail("timed out waiting for round 2's first checkpoint")
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert not (killed / "best.json").exists()
    assert len(read_rounds(killed)) == 1
    for out, extra in ((killed, ["--resume"]), (tmp_path / "ref", [])):
        r = subprocess.run([*args, "--out", str(out), *extra], env=env, capture_output=True,
                           text=True, timeout=900)  # fmt: skip
        assert r.returncode in (0, 1), r.stderr[-3000:]
    ref = tmp_path / "ref"
    for name in ("candidates.parquet", "rounds.jsonl", "rounds/round-2/verified.parquet"):
        assert (killed / name).read_bytes() == (ref / name).read_bytes(), name
