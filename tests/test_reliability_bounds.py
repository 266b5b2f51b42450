"""Bounds on every size a user gives, and the config/CLI input FAILs of the reliability review
on the data, generate, train and checkpoint paths (each with the review's number)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import prime_rs
from prime_rs import SPACE
from prime_rs.data import generate
from prime_rs.data.generation import SearchSettings, write_generated
from prime_rs.data.summary import stats
from prime_rs.errors import CheckpointError, InvalidArgumentError, OutputError
from prime_rs.executors import LocalExecutor
from prime_rs.search import next_generation
from prime_rs.train import TrainConfig, train
from prime_rs.train import checkpoint as ckpt

APP = "mobilenet_v2"


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PRIME_RS_CACHE": str(tmp_path / "cache"), "JAX_PLATFORMS": "cpu"}


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prime_rs", *args],
        env=_env(tmp_path), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: SPACE.sample(10**12), "n must be at most"),  # 1.11
        (lambda: SPACE.sample(2**62), "n must be at most"),  # 1.12
        (lambda: next_generation(SPACE.sample(4), [0.0] * 4, 10**12), "n_children must be at most"),
        (lambda: next_generation(SPACE.sample(8), np.zeros(8), 4, tournament_size=10**9),
         "tournament_size must be at most"),  # 1.20
        (lambda: next_generation(SPACE.sample(8), np.zeros(8), 4, tournament_size=2**64),
         "tournament_size must be at most"),  # 1.14
        (lambda: prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, APP, threads=10**6),
         "threads must be at most"),  # 1.13
        (lambda: prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, APP, threads=2**64),
         "threads must be at most"),  # 1.14
        (lambda: generate(APP, 10**20), "designs must be at most"),  # 5.10
        (lambda: generate(APP, 10, seed=2**64), "seed must be in"),
        (lambda: generate(APP, 10, threads=10**6), "threads must be at most"),
        (lambda: generate(APP, 10, mode="search", settings=SearchSettings(population=10**12)),
         "population must be at most"),  # 8.4
        (lambda: generate(APP, 10, mode="search", settings=SearchSettings(batch=10**12)),
         "batch must be at most"),
        (lambda: LocalExecutor(jobs=10**6), "jobs must be at most"),
    ],
)  # fmt: skip
def test_sizes_are_bounded_with_a_typed_error(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError, match=message):
        call()


@pytest.mark.parametrize(
    "flags",
    [
        ["--designs", "99999999999999999999"],  # 5.10
        ["--designs", "10", "--threads", "99999999999999999999"],  # 5.12
        ["--designs", "10", "--threads", "1000000"],  # 1.13
        ["--designs", "10", "--jobs", "1000000"],
        ["--designs", "10", "--seed", "-1"],
        ["--designs", "10", "--executor", "dask"],
        ["--designs", "10", "--address", "127.0.0.1:1"],  # only with --executor ray
    ],
)
def test_generate_refuses_absurd_sizes_before_any_work(tmp_path: Path, flags: list[str]) -> None:
    out = tmp_path / "z.parquet"
    r = _cli(tmp_path, "generate", "--apps", APP, "--out", str(out), *flags)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr
    assert not out.exists()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("d") / "d.parquet"
    write_generated(path, APP, 3000, seed=1)
    return path


def _train(data: Path, out: Path, steps: int = 4, resume: bool = False):  # type: ignore[no-untyped-def]
    return train(
        prime_rs.data.load(data), [APP], out=out, resume=resume,
        config=TrainConfig(steps=steps, val_every=2, seed=3), model_config={"kind": "mlp"},
    )  # fmt: skip


def test_6_7_a_torn_metrics_line_does_not_break_resume(small: Path, tmp_path: Path) -> None:
    run = tmp_path / "tE"
    _train(small, run, steps=4)
    with (run / "metrics.jsonl").open("a") as f:
        f.write('{"step": 6, "time_s": 1.2, "train_al')
    _train(small, run, steps=6, resume=True)
    steps = [json.loads(ln)["step"] for ln in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]


def test_6_7_a_garbled_line_before_the_end_is_a_checkpoint_error(
    small: Path, tmp_path: Path
) -> None:
    run = tmp_path / "tG"
    _train(small, run, steps=4)
    lines = (run / "metrics.jsonl").read_text().splitlines()
    (run / "metrics.jsonl").write_text("garbage\n" + "\n".join(lines) + "\n")
    with pytest.raises(CheckpointError, match="line 1 is not a metrics record"):
        _train(small, run, steps=6, resume=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("step", "4", "'step' must be a non-negative integer"),
        ("step", True, "'step' must be a non-negative integer"),
        ("bad_vals", -1, "'bad_vals' must be"),
        ("best", "x", "'best' must be a number"),
        ("rng_state", {"bit_generator": "MT19937", "state": {}}, "not a PCG64 state"),
        ("rng_state", "nope", "not a PCG64 state"),
    ],
)
def test_6_9_tampered_checkpoint_meta_is_a_checkpoint_error(
    small: Path, tmp_path: Path, field: str, value: object, message: str
) -> None:
    run = tmp_path / "tQ"
    _train(small, run, steps=2)
    target, _ = ckpt.read_pointer(run, "latest")
    meta = json.loads((target / "meta.json").read_text())
    meta[field] = value
    (target / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=message):
        _train(small, run, steps=4, resume=True)


def test_6_9_on_the_cli_exit_2(small: Path, tmp_path: Path) -> None:
    run = tmp_path / "tC"
    _train(small, run, steps=2)
    target, _ = ckpt.read_pointer(run, "latest")
    meta = json.loads((target / "meta.json").read_text())
    meta["step"] = "2"
    (target / "meta.json").write_text(json.dumps(meta))
    r = _cli(tmp_path, "train", "--data", str(small), "--apps", APP, "--out", str(run),
             "--steps", "4", "--val-every", "2", "--seed", "3", "--model", "mlp", "--resume",
             "--no-progress")  # fmt: skip
    assert r.returncode == 2 and "error: checkpoint" in r.stderr and "Traceback" not in r.stderr


def test_5_4_disk_full_mid_save_is_an_output_error_and_leaves_no_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import equinox as eqx

    real = eqx.tree_serialise_leaves
    calls = {"n": 0}

    def full_disk(path, tree):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:  # the state file of the first checkpoint
            real(path, tree)
            raise RuntimeError(OSError(errno.ENOSPC, "No space left on device"))
        return real(path, tree)

    monkeypatch.setattr(eqx, "tree_serialise_leaves", full_disk)
    model = eqx.nn.Linear(2, 2, key=__import__("jax").random.key(0))
    with pytest.raises(OutputError, match="cannot write checkpoint"):
        ckpt.save(tmp_path, 1, model, model, {"x": np.zeros(2)}, {"a": 1})
    root = tmp_path / "checkpoints"
    assert sorted(p.name for p in root.iterdir()) == []  # no .step-* and no pointer
    with pytest.raises(CheckpointError):
        ckpt.read_pointer(tmp_path, "latest")


def test_litter_of_a_killed_save_is_removed_by_the_next(tmp_path: Path) -> None:
    import equinox as eqx
    import jax

    root = tmp_path / "checkpoints"
    (root / ".step-000002.abc").mkdir(parents=True)
    (root / ".step-000002.abc" / "model.eqx").write_bytes(b"half")
    model = eqx.nn.Linear(2, 2, key=jax.random.key(0))
    ckpt.save(tmp_path, 3, model, None, {"x": np.zeros(2)}, {"a": 1})
    assert sorted(p.name for p in root.iterdir()) == ["latest.json", "step-000003"]


@pytest.mark.parametrize("seed", ["-1", "99999999999999999999999"])
def test_9_2_train_seed_out_of_range_exits_2(small: Path, tmp_path: Path, seed: str) -> None:
    r = _cli(tmp_path, "train", "--data", str(small), "--apps", APP, "--out",
             str(tmp_path / "t9"), "--steps", "1", "--seed", seed)  # fmt: skip
    assert r.returncode == 2 and "error: seed must be in" in r.stderr, r.stderr
    assert not (tmp_path / "t9").exists()


@pytest.mark.parametrize("budget", [float("nan"), -5.0, float("inf"), 0.0])
def test_9_4_stats_area_budget_must_be_positive_finite(small: Path, budget: float) -> None:
    with pytest.raises(InvalidArgumentError, match="area budget must be a positive finite"):
        stats(prime_rs.data.load(small), budget)


def test_9_4_stats_nan_budget_on_the_cli(small: Path, tmp_path: Path) -> None:
    r = _cli(tmp_path, "data", "stats", str(small), "--area-budget", "nan", "--json")
    assert r.returncode == 2 and "error: area budget" in r.stderr, r.stderr


def test_8_6_non_utf8_mapping_toml_exits_2(small: Path, tmp_path: Path) -> None:
    m = tmp_path / "m.toml"
    m.write_bytes(b"\xff\xfe")
    csv = tmp_path / "g.csv"
    prime_rs.data.load(small).to_csv(csv)
    r = _cli(tmp_path, "data", "import-csv", str(csv), "--mapping", str(m), "--out",
             str(tmp_path / "m.parquet"))  # fmt: skip
    assert r.returncode == 2 and "is not UTF-8 text" in r.stderr, r.stderr


def test_8_11_a_workload_name_never_steers_the_cache_path(tmp_path: Path) -> None:
    wl = tmp_path / "rel.json"
    wl.write_text(json.dumps({"name": "../../escaped", "layers": [
        {"type": "conv2d", "in_h": 32, "in_w": 32, "in_c": 3, "out_c": 16, "kernel": 3}]}))  # fmt: skip
    cache = tmp_path / "cache" / "inner"
    env = {**_env(tmp_path), "PRIME_RS_CACHE": str(cache)}
    code = (
        "import sys; from prime_rs.pipeline import OptimizeSettings, cached_dataset; "
        "print(cached_dataset(OptimizeSettings(apps=[sys.argv[1]], dataset_designs=2000)))"
    )
    r = subprocess.run([sys.executable, "-c", code, str(wl)], env=env, capture_output=True,
                       text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    path = Path(r.stdout.strip().splitlines()[-1]).resolve()
    assert path.parent == (cache / "datasets").resolve() and path.is_file()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["inner"]


def test_8_6_non_utf8_config_toml_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_bytes(b"\xff\xfe steps = 1")
    r = _cli(tmp_path, "optimize", "--config", str(config), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "not UTF-8" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("line", "key"), [("data = 12", "data"), ('[train]\nsteps = "ten"', "steps")]
)
def test_8_2_mistyped_config_values_exit_2_naming_the_key(
    tmp_path: Path, line: str, key: str
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(line + "\n", encoding="utf-8")
    r = _cli(tmp_path, "optimize", "--config", str(config), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and key in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "o").exists()


def test_8_5_the_largest_seed_gives_valid_search_streams() -> None:
    from prime_rs.search._seeds import stream

    for purpose in ("surrogate", "surrogate-init"):
        for index in (0, 7, 99_999):
            s = stream(2**64 - 1, purpose, index)
            assert 0 <= s < 2**64
            SPACE.sample(2, seed=s)  # the native sampler takes it
    assert stream(3, "surrogate", 5) == 3 * 100_003 + 5  # small seeds: the old derivation


def _special_file(path: Path, kind: str) -> None:
    """A FIFO, or a character device like /dev/full (made here, never the system's; only
    root may make one, so without that right the case is skipped)."""
    import stat

    if kind == "fifo":
        os.mkfifo(path)
        return
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("making a device node needs root")


@pytest.mark.parametrize("kind", ["fifo", "chardev"])
@pytest.mark.parametrize("command", ["generate", "import-csv"])
def test_5_2_a_special_file_as_out_is_refused_and_kept(
    small: Path, tmp_path: Path, kind: str, command: str
) -> None:
    node = tmp_path / "node"
    _special_file(node, kind)
    link = tmp_path / "link"
    link.symlink_to(node)
    csv = tmp_path / "g.csv"
    prime_rs.data.load(small).to_csv(csv)
    for out in (node, link):
        args = {
            "generate": ["generate", "--apps", APP, "--designs", "100"],
            "import-csv": ["data", "import-csv", str(csv)],
        }[command]
        r = _cli(tmp_path, *args, "--out", str(out))
        assert r.returncode == 2, r.stderr
        assert "exists and is not a regular file" in r.stderr and "Traceback" not in r.stderr
        # Before: renamed over (as root) the node was replaced by a Parquet file.
        assert not node.is_file() and (node.is_fifo() or node.is_char_device())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == [
        "g.csv", "link", "node"
    ]  # fmt: skip


class _FullDisk:
    """A file that is full: what ``tree_serialise_leaves`` writes into when the disk is."""

    def __init__(self, error: OSError) -> None:
        self.error = error

    def write(self, data: bytes) -> int:
        raise self.error


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), r"No space left on device \(the disk"),
        # What numpy raises for a short write on a full tmpfs (no errno).
        (OSError("16384 requested and 12000 written"), r"12000 written \(the disk has [\d,]+ b"),
        (OSError(errno.EACCES, "Permission denied"), r"Permission denied$"),
    ],
)
def test_5_4_a_full_disk_inside_equinox_names_the_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, message: str
) -> None:
    """Equinox wraps the write error in a TreePathError ("Error at leaf with path ..."), which
    was all the message said; the cause is what the user needs."""
    import equinox as eqx
    import jax

    real = eqx.tree_serialise_leaves
    monkeypatch.setattr(
        eqx, "tree_serialise_leaves", lambda path, tree: real(_FullDisk(error), tree)
    )
    model = eqx.nn.Linear(2, 2, key=jax.random.key(0))
    with pytest.raises(OutputError, match=message) as info:
        ckpt.save(tmp_path, 1, model, None, {"x": np.zeros(2)}, {"a": 1})
    assert "Error at leaf" not in str(info.value)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == []


def _generate_until_a_shard(tmp_path: Path, out: Path) -> subprocess.Popen[str]:
    """`prime-rs generate` of 40 blocks, returned once a shard is finished (midway)."""
    import time

    from prime_rs.data.generation import BLOCK, parts_dir

    args = ["generate", "--apps", APP, "--designs", str(40 * BLOCK), "--chunk-size", str(BLOCK),
            "--out", str(out)]  # fmt: skip
    p = subprocess.Popen(
        [sys.executable, "-m", "prime_rs", *args],
        env=_env(tmp_path), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    os.environ["PRIME_RS_CACHE"] = str(tmp_path / "cache")
    parts = parts_dir(out)
    t0 = time.monotonic()
    while not any(parts.glob("shard-*.parquet")):
        if p.poll() is not None or time.monotonic() - t0 > 240:
            p.kill()
            pytest.fail(f"generate ended (rc {p.returncode}) or stalled before a shard")
        time.sleep(0.02)
    return p


def _litter(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.rglob("*") if ".tmp" in p.name)


def test_6_3_sigterm_stops_generate_like_ctrl_c_with_no_temporary_file_left(
    tmp_path: Path,
) -> None:
    """Decision for 6.3: SIGTERM (kill, timeout, a service stop) runs Ctrl-C's cleanup. It left
    the output's hidden temporary file (25 MB at 2 s) and shard temporaries before."""
    import signal

    from prime_rs.data.generation import parts_dir

    out = tmp_path / "big.parquet"
    p = _generate_until_a_shard(tmp_path, out)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 143, err
    assert "--resume" in err and "Traceback" not in err
    assert _litter(tmp_path) == [] and not out.exists()
    assert any(parts_dir(out).glob("shard-*.parquet"))  # finished work is kept for --resume


def test_6_3_sigkill_litter_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """SIGKILL cannot be caught: its temporary file carries the dead writer's pid and the next
    write of the same output removes it."""
    out = tmp_path / "big.parquet"
    p = _generate_until_a_shard(tmp_path, out)
    p.kill()
    p.communicate(timeout=120)
    assert [n for n in _litter(tmp_path) if n.startswith(".big.parquet.")]
    r = _cli(tmp_path, "generate", "--apps", APP, "--designs", "100", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert _litter(tmp_path) == [] and len(prime_rs.data.load(out)) == 100


def test_3_15_known_apps_only_refuses_an_unknown_app_map_target(
    small: Path, tmp_path: Path
) -> None:
    """Decision for 3.15: an --app-map target resolves as a folder name does (a release
    spelling maps, any other name is a data-only application, reported); --known-apps-only,
    as in import-csv, refuses it."""
    root = tmp_path / "rel"
    prime_rs.data.write_prime_tfrecords(prime_rs.data.load(small).take(np.arange(50)), root)
    (root / "MobilenetV2").rename(root / "ResNet152")
    out = tmp_path / "r.parquet"
    r = _cli(tmp_path, "data", "import-prime", str(root), "--app-map", "ResNet152=nonexistent",
             "--known-apps-only", "--out", str(out))  # fmt: skip
    assert r.returncode == 2 and "unknown application name(s): 'nonexistent'" in r.stderr, r.stderr
    assert not out.exists()
    r = _cli(tmp_path, "data", "import-prime", str(root), "--app-map", "ResNet152=nonexistent",
             "--out", str(out), "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["data_only_applications"] == ["nonexistent"]
    r = _cli(tmp_path, "data", "import-prime", str(root), "--app-map", "ResNet152=MobilenetV2",
             "--known-apps-only", "--out", str(out), "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["applications"] == [APP]


def test_6_3_sigterm_stops_train_with_the_resume_hint(small: Path, tmp_path: Path) -> None:
    import signal
    import time

    run = tmp_path / "tT"
    p = subprocess.Popen(
        [sys.executable, "-m", "prime_rs", "train", "--data", str(small), "--apps", APP,
         "--out", str(run), "--steps", "100000", "--val-every", "2", "--model", "mlp",
         "--no-progress"],
        env=_env(tmp_path), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    t0 = time.monotonic()
    while not (run / "checkpoints" / "latest.json").exists():
        if p.poll() is not None or time.monotonic() - t0 > 240:
            p.kill()
            pytest.fail(f"train ended (rc {p.returncode}) or stalled before a checkpoint")
        time.sleep(0.05)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 143, err
    assert f"--out {run} --resume" in err and "Traceback" not in err
    assert _litter(tmp_path) == []
    ckpt.read_pointer(run, "latest")  # what it kept is a valid checkpoint to resume from
