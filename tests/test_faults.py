"""Faults: `run` and `sweep` killed at random points, a full disk, each input changed before `--resume`.

Every outcome must be one of three:

- **resumed-identical**: `--resume` finishes the sweep with the tables of an uninterrupted one;
- **refused-with-the-fix**: exit 2 and one line that names what to do (a `wcitsim` command, or free space and
  the same command); doing it gives those tables;
- **replaced-cleanly**: the same command again writes those tables, and no temporary is left.

A kill is a real SIGKILL, sent by the killed process to itself just before its N-th file operation under
`--out` (N drawn by a seeded generator over every operation of the command, from preparing the folder to the
last rename of the final writes). The operations are those Python reports to audit hooks (opening for
writing, renaming, making and removing files and folders); the killed command runs in a child of the
forkserver, which has the libraries imported already. A full disk is a small tmpfs when this machine lets
the tests mount one, else a size-limited fake (``os.fsync`` raising ENOSPC once the files under `--out` pass
the size): the test prints which, and the counts of each outcome (``pytest -s``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from conftest import descendants, kill_all, still_running_after

from wcitsim.cli import main
from wcitsim.experiments import sweep_run, sweeps
from wcitsim.experiments.analysis import load_results
from wcitsim.experiments.records import read_run

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"
#: Replications per task in these tests: one experiment per task, so the sweep of four experiments has four.
TASK_REPLICATIONS = 8
#: The audit events of file operations that change the file system.
CHANGES = frozenset(
    {"os.rename", "os.mkdir", "os.remove", "os.rmdir", "os.chmod", "shutil.rmtree", "shutil.copyfile"}
)
#: The seeded generator of every random choice in this module.
SEED = 16
OUTCOMES = ("resumed-identical", "refused-with-the-fix", "replaced-cleanly")
#: File operations per command, counted once.
OPERATIONS: dict[str, list[str]] = {}
COMMAND = re.compile(r"(wcitsim (?:sweep|run|analyze) .*?)(?: \(or --restart|$)")


def _writes(event: str, args: tuple) -> bool:
    if event == "open":
        mode, flags = args[1], args[2]
        if isinstance(mode, str):
            return any(c in mode for c in "wax+")
        return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
    return event in CHANGES


def _attempt(argv: list[str], root: str, kill_at: int) -> None:
    """In a forked child: run ``wcitsim ARGV``, killing itself (SIGKILL) before its ``kill_at``-th file
    operation under ``root``; with ``kill_at`` 0, list the paths of those operations in ``ROOT.operations.json``.
    Exit with the command's status."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sweep_run.TASK_REPLICATIONS = TASK_REPLICATIONS
    done: list[str] = []

    def hook(event: str, args: tuple) -> None:
        if (event == "open" or event in CHANGES) and _writes(event, args):
            paths = [os.fsdecode(a) for a in args if isinstance(a, (str, bytes, os.PathLike))]
            if any(p.startswith(root) for p in paths):
                done.append(paths[0])
                if len(done) == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)
    try:
        code = main(argv)
    except BaseException:  # a traceback: never the answer of a command
        code = 98
    if kill_at == 0:
        Path(f"{root}.operations.json").write_text(json.dumps(done), encoding="utf-8")
    os._exit(code)


def _serve() -> None:
    """A fork server: for each request line (JSON ``[argv, root, kill_at]``) fork a child that runs
    :func:`_attempt`, and answer its exit status (−9 when it was killed). The libraries are imported once."""
    import mesa  # noqa: F401  (the run's meta names its version)

    from wcitsim.experiments import executors, records, runner  # noqa: F401  (what the commands import)

    sweep_run.cached_dataset(None)
    sweeps.code_fingerprint()
    with contextlib.redirect_stdout(io.StringIO()):  # the lazy imports of a run, without writing
        main(["run", str(TOY), "--reps", "1", "--no-write", "--json"])
    for line in sys.stdin:
        argv, root, kill_at = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _attempt(argv, root, kill_at)
        print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)


@pytest.fixture(scope="module")
def attempt():
    """``attempt(argv, out, kill_at)``: run ``wcitsim ARGV`` in a fresh child, killed before its ``kill_at``-th
    file operation under ``out`` (0: never); its exit status, −9 when it was killed."""
    server = subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'tests')!r}); "
         "import test_faults; test_faults._serve()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
    )  # fmt: skip

    def run(argv: list[str], out: Path, kill_at: int) -> int:
        server.stdin.write(json.dumps([argv, str(out), kill_at]) + "\n")
        server.stdin.flush()
        answer = server.stdout.readline()
        assert answer, "the fork server of the fault tests ended"
        return int(answer)

    yield run
    server.stdin.close()
    server.wait(timeout=30)


def _operations(attempt, argv: list[str], out: Path) -> list[str]:
    """The paths of the file operations ``wcitsim ARGV`` makes under ``out``, in order, run once to the end."""
    assert attempt(argv, out, 0) == 0
    return json.loads(Path(f"{out}.operations.json").read_text(encoding="utf-8"))


def _phases(paths: list[str], step: re.Pattern) -> dict[str, list[int]]:
    """The operations (numbered from 1) of a command by phase: preparing (before its first step), its steps
    (the operations whose path matches ``step``, and those between), its final writes (after the last step)."""
    steps = [i for i, path in enumerate(paths, 1) if step.search(path)]
    return {
        "preparing": list(range(1, steps[0])),
        "steps": list(range(steps[0], steps[-1] + 1)),
        "final writes": list(range(steps[-1] + 1, len(paths) + 1)),
    }


#: A run's steps: the files written in its staging folder. A sweep's: its tasks' parts.
RUN_STEPS, SWEEP_STEPS = re.compile(r"/\.tmp-[^/]+/"), re.compile(r"/parts/")


def _temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.startswith(".")] if out.exists() else []


def _run_tables(out: Path) -> dict[str, pd.DataFrame]:
    (folder,) = [p for p in (out / "toy").iterdir()]
    return {k: v for k, v in read_run(folder).items() if isinstance(v, pd.DataFrame)}


def _sweep_tables(folder: Path) -> dict[str, pd.DataFrame]:
    load_results(folder)  # finished: analyze accepts it
    return {
        name: pd.read_parquet(folder / f"{name}.parquet") for name in ("experiments", "outcomes", "states")
    }


def _same(tables: dict, expected: dict) -> None:
    assert tables.keys() == expected.keys()
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(tables[name], frame, obj=name)


def _follow(argv: list[str], capsys, extra: list[str] | None = None) -> str:
    """Run ``wcitsim ARGV`` (+ ``extra``) here; on a refusal run the command it names. The outcome's class."""
    capsys.readouterr()
    code = main([*argv, *(extra or [])])
    if code == 0:
        return "ok"
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    named = COMMAND.search(err)
    fix = shlex.split(named.group(1))[1:] if named else argv  # "free space", then the same command
    assert main([*fix, "--quiet"] if fix[0] == "sweep" and "--quiet" not in fix else fix) == 0, err
    return "refused-with-the-fix"


@pytest.fixture(autouse=True)
def _small_tasks(monkeypatch):
    monkeypatch.setattr(sweep_run, "TASK_REPLICATIONS", TASK_REPLICATIONS)


def _sweep_spec(folder: Path, scenario: Path = TOY, seed: int = 5) -> Path:
    spec = folder / "faults.toml"
    spec.write_text(
        f'[sweep]\nname = "faults"\nscenario = "{scenario.as_posix()}"\ndesign = "grid"\nreplications = 8\n'
        f'seed = {seed}\n[parameters."signing.conformity"]\nlevels = [0.0, 1.0]\n'
        '[parameters."seeder.anchor_weight"]\nlevels = [0.2, 0.6]\n',
        encoding="utf-8",
    )
    return spec


def _report(name: str, counts: Counter, details: list[str], record_property) -> None:
    """Print the counts of the outcomes (``pytest -s``) and record them in the test's properties."""
    line = ", ".join(f"{counts[o]} {o}" for o in (*OUTCOMES, "completed") if counts[o])
    print("\n".join(["", f"{name}: {line}", *(f"  {d}" for d in details)]))
    record_property(name, dict(counts))


def test_run_killed_at_random_points(attempt, tmp_path, capsys, record_property):
    """A fresh run and a rerun over a finished one, each killed at two random file operations of each phase
    (preparing its staging folder, writing it, renaming it into place)."""
    rng = random.Random(SEED)
    reference = tmp_path / "reference"
    argv = ["run", str(TOY), "--reps", "6", "--seed", "3", "--no-figures", "--out"]
    assert main([*argv, str(reference)]) == 0
    expected = _run_tables(reference)
    counts, details = Counter(), []
    for rerun in (False, True):
        probe = tmp_path / f"probe-{rerun}"
        if rerun:
            shutil.copytree(reference, probe)
        phases = _phases(_operations(attempt, [*argv, str(probe)], probe), RUN_STEPS)
        for phase, operations in phases.items():
            for kill_at in rng.sample(operations, min(2, len(operations))):
                out = tmp_path / f"out-{rerun}-{kill_at}"
                if rerun:
                    shutil.copytree(reference, out)
                assert attempt([*argv, str(out)], out, kill_at) == -signal.SIGKILL
                outcome = _follow([*argv, str(out)], capsys)
                outcome = "replaced-cleanly" if outcome == "ok" else outcome
                counts[outcome] += 1
                details.append(
                    f"{'rerun' if rerun else 'run'} killed {phase} (operation {kill_at}): {outcome}"
                )
                _same(_run_tables(out), expected)
                assert not _temporaries(out), _temporaries(out)
    _report("run killed", counts, details, record_property)
    assert sum(counts.values()) == 11  # the one operation of a fresh run's final writes: its rename


def test_sweep_killed_at_random_points_while_preparing_running_finishing_resuming_restarting(
    attempt, tmp_path, capsys, record_property
):
    """A fresh sweep killed at two random file operations of each phase (preparing its folder, writing the
    parts of its tasks, its final writes); and killed in its tasks, then killed again while resuming or
    restarting. Then ``--resume``, or the same command again."""
    rng = random.Random(SEED + 1)
    spec = _sweep_spec(tmp_path)
    argv = ["sweep", str(spec), "--quiet", "--out"]
    assert main([*argv, str(tmp_path / "reference")]) == 0
    expected = _sweep_tables(tmp_path / "reference" / "faults")
    paths = _operations(attempt, [*argv, str(tmp_path / "probe")], tmp_path / "probe")
    phases = _phases(paths, SWEEP_STEPS)
    plans = [(phase, k, None) for phase, operations in phases.items() for k in rng.sample(operations, 2)]
    plans += [
        (again, rng.choice(phases["steps"]), rng.randrange(1, len(paths)))
        for again in ["--resume", "--restart"]
    ]
    counts, details = Counter(), []
    for n, (phase, first, second) in enumerate(plans):
        out = tmp_path / f"out-{n}"
        assert attempt([*argv, str(out)], out, first) == -signal.SIGKILL
        if second is not None:
            assert attempt([*argv, str(out), phase], out, second) in (0, -signal.SIGKILL)
        prepared = (out / "faults" / "meta.json").exists()
        then = ["--resume"] if n % 2 else []  # a user who resumes, or one who runs the same command again
        outcome = _follow([*argv, str(out)], capsys, then)
        if outcome == "ok":
            outcome = "resumed-identical" if prepared else "replaced-cleanly"
        counts[outcome] += 1
        again = "" if second is None else f" then killed again (operation {second})"
        details.append(
            f"sweep killed in {phase} (operation {first}){again}, then {' '.join(then) or 'the same command'}: "
            f"{outcome}"
        )
        _same(_sweep_tables(out / "faults"), expected)
        assert not _temporaries(out), _temporaries(out)
    _report("sweep killed", counts, details, record_property)
    assert sum(counts.values()) == len(plans) == 8


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory):
    """A 1 MiB tmpfs, or None when this machine does not let the tests mount one."""
    where = tmp_path_factory.mktemp("disk")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        yield None
        return
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _disk(small_disk, tmp_path, monkeypatch, free: int) -> Path:
    """An empty folder on a disk with ``free`` bytes left: on the tmpfs, or behind the size-limited fake."""
    if small_disk is not None:
        for entry in small_disk.iterdir():
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        disk = os.statvfs(small_disk)
        with contextlib.suppress(OSError), open(small_disk / "filler", "wb") as filler:
            filler.write(b"\0" * max(0, disk.f_bavail * disk.f_frsize - free))  # full already: as wanted
        return small_disk / "out"
    out, real = tmp_path / "out", os.fsync

    def fsync(fd: int) -> None:
        used = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        if used > free:
            raise OSError(28, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return out


def _free_up(small_disk, monkeypatch) -> None:
    if small_disk is not None:
        (small_disk / "filler").unlink()
    monkeypatch.undo()
    monkeypatch.setattr(sweep_run, "TASK_REPLICATIONS", TASK_REPLICATIONS)


def test_a_full_disk_during_run_and_sweep(small_disk, tmp_path, capsys, monkeypatch, record_property):
    rng = random.Random(SEED + 2)
    print(f"\nfull disk: {'a 1 MiB tmpfs' if small_disk is not None else 'the size-limited fake (os.fsync)'}")
    run = ["run", str(TOY), "--reps", "6", "--seed", "3", "--no-figures", "--out"]
    spec = _sweep_spec(tmp_path)
    sweep = ["sweep", str(spec), "--quiet", "--out"]
    assert main([*run, str(tmp_path / "run")]) == 0
    assert main([*sweep, str(tmp_path / "sweep")]) == 0
    expected = {"run": _run_tables(tmp_path / "run"), "sweep": _sweep_tables(tmp_path / "sweep" / "faults")}
    counts, details = Counter(), []
    for command, argv in (("run", run), ("sweep", sweep)):
        need = sum(p.stat().st_size + 4096 for p in (tmp_path / command).rglob("*"))
        for _ in range(4):
            free = rng.randrange(
                0, need * 2 // 3
            )  # the disk fills somewhere between the first write and the last
            out = _disk(small_disk, tmp_path, monkeypatch, free)
            capsys.readouterr()
            code = main([*argv, str(out)])
            err = capsys.readouterr().err.strip()
            assert not _temporaries(out), _temporaries(out)
            _free_up(small_disk, monkeypatch)
            if code == 0:
                counts["completed"] += 1
            else:
                assert code == 2 and len(err.splitlines()) == 1, err
                assert "cannot write results here (No space left on device); expected free space" in err, err
                named = COMMAND.search(err)
                fix = shlex.split(named.group(1))[1:] if named else [*argv, str(out)]
                assert main(fix) == 0, err
                counts["refused-with-the-fix"] += 1
            details.append(
                f"{command} with {free:,} of {need:,} bytes free: {'completed' if code == 0 else err}"
            )
            if command == "run":
                _same(_run_tables(out), expected["run"])
            else:
                _same(_sweep_tables(out / "faults"), expected["sweep"])
            assert not _temporaries(out)
            shutil.rmtree(out)
    _report("full disk", counts, details, record_property)
    assert counts["refused-with-the-fix"] == 8


def _change_spec(case: dict) -> None:
    _sweep_spec(case["folder"], case["scenario"], seed=6)


def _change_scenario(case: dict) -> None:
    base = case["folder"] / "base.toml"
    base.write_text(
        base.read_text(encoding="utf-8").replace("salience = 1.5", "salience = 2.5"), encoding="utf-8"
    )


def _change_data(case: dict) -> None:
    states = case["data"] / "states.csv"
    states.write_text(
        states.read_text(encoding="utf-8").replace(",10.5,43888303,", ",11.5,43888303,"), "utf-8"
    )


CHANGED = {
    "spec": (_change_spec, "the spec"),
    "scenario": (_change_scenario, "the scenario"),
    "data": (_change_data, "the data files of --data-dir"),
    "code": (None, "the model's code (numpy"),
}


@pytest.mark.parametrize("changed", list(CHANGED))
def test_each_input_changed_before_resume_is_refused_with_the_fix(
    attempt, changed, tmp_path, data_copy, capsys, monkeypatch, record_property
):
    """The sweep's scenario extends a base scenario (the change is made there); the data are a copy."""
    base = tmp_path / "base.toml"
    base.write_text(TOY.read_text(encoding="utf-8"), encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[meta]\nname = "toy"\n', encoding="utf-8")
    case = {"folder": tmp_path, "scenario": child, "data": data_copy}
    spec = _sweep_spec(tmp_path, child)
    argv = ["sweep", str(spec), "--quiet", "--data-dir", str(data_copy), "--out"]
    out = tmp_path / "out"
    if "inputs" not in OPERATIONS:  # the same for every case: the files are the same, not their contents
        OPERATIONS["inputs"] = _operations(attempt, [*argv, str(tmp_path / "probe")], tmp_path / "probe")
    steps = _phases(OPERATIONS["inputs"], SWEEP_STEPS)["steps"]
    kill_at = random.Random(f"{SEED}-{changed}").choice(steps)  # the folder is prepared, some tasks are done
    assert attempt([*argv, str(out)], out, kill_at) == -signal.SIGKILL
    change, named = CHANGED[changed]
    if change is None:
        real = sweeps.code_fingerprint()
        monkeypatch.setattr(sweeps, "code_fingerprint", lambda: ("0" * 16, {**real[1], "numpy": "1.0"}))
    else:
        change(case)
    capsys.readouterr()
    assert main([*argv, str(out), "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert f"--resume: {named}" in err and "changed since the sweep started" in err, err
    fix = COMMAND.search(err).group(1)
    assert fix == shlex.join(
        ["wcitsim", "sweep", str(spec), "--out", str(out), "--data-dir", str(data_copy), "--restart"]
    )
    assert main([*shlex.split(fix)[1:], "--quiet"]) == 0
    assert main([*argv, str(tmp_path / "fresh")]) == 0  # an uninterrupted sweep of the changed inputs
    _same(_sweep_tables(out / "faults"), _sweep_tables(tmp_path / "fresh" / "faults"))
    assert (
        json.loads((out / "faults" / "meta.json").read_text())["inputs"]
        == json.loads((tmp_path / "fresh" / "faults" / "meta.json").read_text())["inputs"]
    )
    _report(f"input changed ({changed})", Counter({"refused-with-the-fix": 1}), [err], record_property)


#: A sweep of 60 experiments × 256 replications: several seconds on two workers.
LONG = """[sweep]
name = "long"
scenario = "{toy}"
design = "grid"
replications = 256
seed = 5
[parameters."signing.conformity"]
levels = [{levels}]
[parameters."seeder.anchor_weight"]
levels = [0.1, 0.2, 0.3]
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_a_sweep_on_two_workers_killed_at_a_random_moment_leaves_no_process(tmp_path, sig, record_property):
    """Killed once 1 to 4 of its processes run (the resource tracker, the forkserver, the workers starting,
    then working), at a random moment after: within 10 s none of them is left."""
    rng = random.Random(f"{SEED}-{sig.name}")
    running, delay = rng.randint(1, 4), rng.uniform(0.0, 0.5)
    spec = tmp_path / "long.toml"
    spec.write_text(
        LONG.format(toy=TOY.as_posix(), levels=", ".join(f"{0.05 * i:.2f}" for i in range(20))),
        encoding="utf-8",
    )
    cmd = [
        sys.executable,
        "-m",
        "wcitsim",
        "sweep",
        str(spec),
        "--out",
        str(tmp_path),
        "--workers",
        "2",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(descendants(proc.pid)) < running and time.monotonic() < deadline:
            assert proc.poll() is None, "the sweep ended before it was killed"
            time.sleep(0.01)
        time.sleep(delay)
        seen.update(descendants(proc.pid))
        assert proc.poll() is None and len(seen) >= running, seen
        os.kill(proc.pid, sig)
        proc.wait(timeout=10)
        assert not still_running_after(sorted(seen), 10), "processes of the killed sweep are still running"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        kill_all(sorted(seen))
    print(f"\n{sig.name} once {running} process(es) ran, {delay:.2f} s later: {len(seen)} seen, none left")
    record_property("descendants", len(seen))
