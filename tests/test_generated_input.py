"""Generated bad input: malformed files, special files, sizes and encodings never cause a traceback or a hang.

Two generators. The first derives its cases from the schema itself: it walks the
scenario's dataclasses (every key, its type, range, choices, pattern, whether it
may repeat or be left out), every registered protocol's parameters and the sweep
spec's dataclasses, so a key added later is covered without a new test. The
second (hypothesis) mutates valid files at random. Around them: special files (a
FIFO, ``/dev/zero``, a folder, a symlink loop, a socket ...) in every place a user
names a file, sizes past every bound, and encodings other than UTF-8.

The contract, for every case: ``wcitsim`` exits 0, or 2 with one line that names
the file; a value the schema forbids exits 2 and names its key; nothing is written
outside ``--out`` and nothing is left behind; nothing hangs (special files run in
a child process under a timeout and a memory limit). The last test prints the
counts; ``tools/fuzz_loaders.py`` runs the random part for longer.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import re
import socket
import subprocess
import sys
import tomllib
import types
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcitsim.cli import main
from wcitsim.experiments.sweeps import Parameter, Sweep
from wcitsim.io.scenario import Scenario
from wcitsim.io.schema import FOLDER_NAME, MAX_BYTES, MAX_DEPTH, MAX_EXTENDS
from wcitsim.registry import PROTOCOLS

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"
SPEC = ROOT / "scenarios" / "sweeps" / "grid_conformity_lost_vote.toml"
N_SCENARIOS, N_SPECS, N_RUNS = 300, 200, 40
#: Cases tried and refused, by family; the last test prints them.
SEEN: dict[str, list[int]] = {}


def _count(family: str, code: int) -> None:
    tried, refused = SEEN.setdefault(family, [0, 0])
    SEEN[family] = [tried + 1, refused + (code == 2)]


# ---------------------------------------------------------------- writing TOML


def _key(k: str) -> str:
    return json.dumps(k, ensure_ascii=False)


def to_toml(data: dict) -> str:
    """A small TOML writer for what scenario and spec files hold (strings escaped as TOML basic strings)."""
    lines: list[str] = []

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{_key(k)} = {value(x)}" for k, x in v.items()) + "}"
        raise TypeError(type(v))

    def table(prefix: str, d: dict) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict) and not _tables(v)}
        if prefix and (scalars or not d):  # an empty table is written too
            lines.append(f"[{prefix}]")
        for k, v in scalars.items():
            lines.append(f"{_key(k)} = {value(v)}")
        for k, v in d.items():
            name = f"{prefix}.{_key(k)}" if prefix else _key(k)
            if isinstance(v, dict):
                table(name, v)
            elif _tables(v):
                for item in v:
                    lines.append(f"[[{name}]]")
                    for kk, vv in item.items():
                        lines.append(f"{_key(kk)} = {value(vv)}")

    table("", data)
    return "\n".join(lines) + "\n"


def _tables(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


SCENARIO = tomllib.loads(TOY.read_text(encoding="utf-8"))
SPEC_DATA = tomllib.loads(SPEC.read_text(encoding="utf-8"))
SPEC_DATA["sweep"]["scenario"] = TOY.as_posix()


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _refused_in_one_line(code: int, err: str, file: Path | str) -> None:
    """The contract of a refusal: exit 2, one line on stderr, naming ``file``, no traceback."""
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("wcitsim: error: ") and str(file) in err, err
    assert "Traceback" not in err and len(err) <= 2100, err


def _check(path: Path, capsys, family: str = "hypothesis", *args: str) -> tuple[int, str]:
    """``wcitsim check`` on ``path``: exit 0, or 2 with one line naming the file; nothing written beside it."""
    before = _tree(path.parent)
    code = main(["check", str(path), *args])
    err = capsys.readouterr().err.strip()
    _count(family, code)
    assert code in (0, 2), err
    if code == 2:
        _refused_in_one_line(code, err, path)
    assert _tree(path.parent) == before
    return code, err


# ---------------------------------------------------------------- cases from the schema

#: Names that must not become a folder, and names that may.
BAD_NAMES = [
    "../escaped",
    "/tmp/absolute",
    "a/b",
    "..",
    ".",
    "",
    ".hidden",
    "a b",
    "x" * 101,
    'q"uote',
    "a\\b",
]
GOOD_NAMES = ["run.2", "x-1_y", "données"]
#: A value of no type a key accepts.
ALIEN = {"kind": "table"}


def _is_table(kind) -> type | None:
    """The dataclass a table (or a list or table of tables) of ``kind`` holds, or None for a value."""
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        return kind
    if origin in (tuple, dict):
        item = typing.get_args(kind)[-1 if origin is dict else 0]
        return item if dataclasses.is_dataclass(item) else None
    return None


def _fields(cls, prefix: str, base: dict):
    """Every key under table ``cls`` at ``prefix``: (path, type, metadata, required); sub-tables walked too."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        if not f.init or (cls is Scenario and _is_table(kind) is None):
            continue  # the Scenario's bookkeeping (source, digest, raw) is not a key of the file
        path = f"{prefix}.{f.name}" if prefix else f.name
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        yield path, kind, dict(f.metadata), required
        sub = _is_table(kind)
        if sub is not None:
            origin = typing.get_origin(kind)
            if origin is tuple:
                path += "[0]"
            elif origin is dict:
                present = _get(base, path)
                path += "." + (next(iter(present)) if isinstance(present, dict) and present else "USA")
            yield path, sub, {}, False
            yield from _fields(sub, path, base)


def _segments(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.split("."):
        name, *indices = re.split(r"\[(\d+)\]", part)
        out.append(name)
        out += [int(i) for i in indices if i]
    return out


def _get(data, path: str):
    node = data
    for key in _segments(path):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _minimal(cls) -> dict:
    """The smallest valid table of ``cls``: its required keys with a plain value."""
    hints = typing.get_type_hints(cls)
    return {
        f.name: _sample(hints[f.name], dict(f.metadata))
        for f in dataclasses.fields(cls)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def _sample(kind, meta: dict):
    """A valid value of ``kind`` (a string's first choice, a number's lower bound)."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _sample(typing.get_args(kind)[0], meta)
    if kind is str:
        return (meta.get("choices") or ["x1"])[0]
    if kind in (int, float):
        return kind(meta.get("lo") or 0)
    if kind is bool:
        return False
    if origin in (tuple, dict):
        return [] if origin is tuple else {}
    return _minimal(kind)


def _put(data: dict, path: str, value) -> dict:
    """A copy of ``data`` with ``value`` at ``path`` (missing tables made), or without it for DELETE."""
    data = copy.deepcopy(data)
    *parents, last = _segments(path)
    node = data
    for i, key in enumerate(parents):
        after = [*parents, last][i + 1]
        if isinstance(node, list):
            while len(node) <= key:
                node.append({})
        elif key not in node or not isinstance(node[key], (dict, list)):
            node[key] = [] if isinstance(after, int) else {}
        node = node[key]
    if isinstance(node, list):
        while len(node) <= last:
            node.append({})
    if value is not DELETE:
        node[last] = value
    elif isinstance(node, dict):
        node.pop(last, None)
    return data


DELETE = object()


def _values(kind, meta: dict, present) -> list[tuple[str, object, bool]]:
    """(label, value, must be refused) for a key of ``kind``: wrong types, its range, choices, pattern, repeats."""
    origin = typing.get_origin(kind)
    out: list[tuple[str, object, bool]] = [("alien", ALIEN, True)]
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if len(options) == 1:
            return _values(options[0], meta, present)
        return [*out, ("list", [1, 2], True)]
    if kind in (int, float):
        lo, hi = meta.get("lo"), meta.get("hi")
        out += [("text", "12", True), ("nan", math.nan, True)]
        for bound, side in ((lo, -1), (hi, 1)):
            if bound is not None:
                step = 1 if kind is int else (abs(bound) or 1) * 0.5
                out.append((f"past {bound:g}", bound + side * step, True))
        out += [("bool", True, True), ("list", [1], True), ("huge", 10**400, True)]
        out += [("inf", math.inf, True), ("-inf", -math.inf, True)] + (
            [("fraction", 1.5, True)] if kind is int else []
        )
        out += [(f"bound {b:g}", b, False) for b in (lo, hi) if b is not None]
        return out
    if kind is bool:
        return [*out, ("text", "yes", True), ("number", 1, True), ("true", True, False)]
    if kind is str:
        out += [("number", 7, True), ("bool", False, True), ("list", ["x"], True)]
        if meta.get("choices"):
            out.append(("unknown choice", "zz_unknown", True))
            out += [(f"choice {c}", c, False) for c in meta["choices"]]
        if meta.get("pattern"):
            pattern = re.compile(meta["pattern"].regex)
            out += [(f"name {n!r}", n, not pattern.fullmatch(n)) for n in BAD_NAMES + GOOD_NAMES]
        elif not meta.get("choices"):
            out += [("long text", "w" * 100_000, False), ("blank", "", False), ("unicode", "Dubaï ✓", False)]
        return out
    if origin is tuple:
        item = typing.get_args(kind)[0]
        out += [("text", "x", True)]
        out += [(f"item {label}", [v], True) for label, v, bad in _values(item, meta, None) if bad][:5]
        if meta.get("unique"):
            first = present[0] if present else _sample(item, meta)
            out.append(("repeated item", [first, first], True))
        return out
    if origin is dict:
        item = typing.get_args(kind)[1]
        key = next(iter(present)) if isinstance(present, dict) and present else "zz"
        inner = present.get(key) if isinstance(present, dict) else None
        out += [("text", "x", True), ("list", [1], True)]
        out += [(f"entry {label}", {key: v}, True) for label, v, bad in _values(item, meta, inner) if bad][:5]
        return out
    return out  # a table: ALIEN only


def _table_cases(cls, prefix: str, base: dict) -> list[tuple[str, str, object, bool]]:
    """(id, path, value, must be refused) for every key of the tables under ``cls``."""
    cases = [
        (f"{prefix or '<top>'}: unknown key", f"{prefix}.zz_unknown" if prefix else "zz_unknown", 1, True)
    ]
    for path, kind, meta, required in _fields(cls, prefix, base):
        if required:
            cases.append((f"{path}: missing", path, DELETE, True))
        if dataclasses.is_dataclass(kind):  # a table, or an item of a list or table of tables
            cases += [
                (f"{path}: unknown key", f"{path}.zz_unknown", 1, True),
                (f"{path}: text", path, "x", True),
            ]
            continue
        for label, value, bad in _values(kind, meta, _get(base, path)):
            cases.append((f"{path}: {label}", path, value, bad))
    return cases


def scenario_cases() -> list[tuple[str, dict, str, bool]]:
    """(id, scenario, key path, must be refused): every key of the scenario schema, and every protocol's parameters."""
    out = []
    for name, path, value, bad in _table_cases(Scenario, "", SCENARIO):
        base = SCENARIO
        if path.startswith("stakeholders[0]") and not _get(base, "stakeholders"):
            from wcitsim.io.scenario import Stakeholder

            base = _put(base, "stakeholders", [_minimal(Stakeholder)])
        out.append((name, _put(base, path, value), path, bad))
    for protocol, cls in PROTOCOLS.items():
        base = _put(SCENARIO, "protocol.name", protocol)
        out.append((f"{protocol}: defaults", base, "protocol.params", False))
        for name, path, value, bad in _table_cases(cls.parameters, "protocol.params", base):
            out.append((f"{protocol}: {name}", _put(base, path, value), path, bad))
    return out


def spec_cases() -> list[tuple[str, dict, str, bool]]:
    """(id, spec, key path, must be refused): every key of the sweep spec's ``[sweep]`` and parameter tables."""
    out = [("<top>: unknown key", _put(SPEC_DATA, "zz_unknown", 1), "zz_unknown", True)]
    out += [
        (name, _put(SPEC_DATA, path, v), path, bad)
        for name, path, v, bad in _table_cases(Sweep, "sweep", SPEC_DATA)
    ]
    first = next(iter(SPEC_DATA["parameters"]))  # a dotted scenario key: its table is edited apart
    table = {"p": SPEC_DATA["parameters"][first]}
    for name, path, value, bad in _table_cases(Parameter, "p", table)[1:]:
        data = copy.deepcopy(SPEC_DATA)
        data["parameters"][first] = _put(table, path, value)["p"]
        out.append((f"parameters.{first}{name[1:]}", data, first, bad))
    return out


SCENARIO_CASES, SPEC_CASES = scenario_cases(), spec_cases()
#: Cases whose fix belongs to another module: expected to fail until it is made (then the mark must go).
#: Cases known to fail, with the reason (strict: a fixed one fails until its mark is removed).
KNOWN_GAPS: dict[str, str] = {}


def _cases(cases) -> list:
    return [
        pytest.param(
            *c[1:],
            id=c[0],
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[c[0]])] if c[0] in KNOWN_GAPS else [],
        )
        for c in cases
    ]


def test_the_schema_walk_reaches_every_key_and_every_protocol():
    """The walk is the schema's: a known key of each kind and every protocol's parameters are among the cases."""
    paths = {path for _, _, path, _ in SCENARIO_CASES}
    for path in ("meta.name", "agenda.clauses[0].id", "groups.anchors", "overrides.USA.position",
                 "stakeholders[0].reach", "protocol.params.q", "protocol.params.min_gain", "run.seed"):  # fmt: skip
        assert path in paths, path
    assert {p for _, _, p, _ in SPEC_CASES} >= {"sweep.name", "sweep.samples"}
    assert len(SCENARIO_CASES) > 600


@pytest.mark.parametrize(("data", "key", "bad"), _cases(SCENARIO_CASES))
def test_every_scenario_key_refuses_what_its_schema_forbids(tmp_path, data, key, bad, capsys):
    path = tmp_path / "scenario.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    code, err = _check(path, capsys, "schema: scenario keys")
    if bad:
        assert code == 2 and key in err, f"{key}: {err or 'accepted'}"


@pytest.mark.parametrize(("data", "key", "bad"), _cases(SPEC_CASES))
def test_every_sweep_spec_key_refuses_what_its_schema_forbids(tmp_path, data, key, bad, capsys):
    path = tmp_path / "spec.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    code, err = _check(path, capsys, "schema: sweep spec keys")
    if bad:
        assert code == 2 and key in err, f"{key}: {err or 'accepted'}"


# ---------------------------------------------------------------- names that become folders


def _folder_keys(cls, prefix: str = "") -> list[str]:
    """The keys whose value becomes a folder: those the schema documents as naming a results folder."""
    return [path for path, _, meta, _ in _fields(cls, prefix, {}) if "folder" in meta.get("doc", "")]


def test_every_key_that_names_a_folder_follows_the_folder_rule():
    keys = _folder_keys(Scenario) + _folder_keys(Sweep, "sweep")
    ruled = {
        p
        for p, _, meta, _ in [*_fields(Scenario, "", {}), *_fields(Sweep, "sweep", {})]
        if meta.get("pattern") == FOLDER_NAME
    }
    assert "meta.name" in keys and "sweep.name" in keys
    missing = [k for k in keys if k not in ruled]
    assert not missing, missing


@pytest.mark.parametrize("name", BAD_NAMES + GOOD_NAMES)
def test_a_run_writes_only_under_out_whatever_its_name(tmp_path, name, capsys):
    """``meta.name`` becomes a folder under ``--out``: a name that would lead elsewhere is refused, before writing."""
    if name.startswith("/"):
        name = str(tmp_path / "absolute")  # an absolute path this test can watch
    folder = tmp_path / "work" / "sub"
    folder.mkdir(parents=True)
    path = folder / "scenario.toml"
    path.write_text(to_toml(_put(SCENARIO, "meta.name", name)), encoding="utf-8")
    code = main(["run", str(path), "--reps", "1", "--no-figures", "--out", str(folder / "out")])
    err = capsys.readouterr().err.strip()
    _count("names used as folders (run)", code)
    assert code == (0 if re.fullmatch(FOLDER_NAME.regex, name) else 2), err
    if code == 2:
        _refused_in_one_line(code, err, path)
        assert "meta.name" in err
    new = _tree(tmp_path) - {"work", "work/sub", "work/sub/scenario.toml"}
    assert all(p.startswith("work/sub/out") for p in new), new
    assert not [p for p in new if Path(p).name.startswith(".")], new


# ---------------------------------------------------------------- special files, in a child process


#: The child: runs each case in-process under an alarm and a memory limit, and prints one JSON line per case.
CHILD = r"""
import contextlib, io, json, resource, signal, sys
resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, resource.RLIM_INFINITY))
from wcitsim.cli import main

def alarm(*_):
    raise TimeoutError("hang")

signal.signal(signal.SIGALRM, alarm)
for argv in json.loads(sys.argv[1]):
    err, out = io.StringIO(), io.StringIO()
    signal.alarm(30)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(argv)
    except BaseException as exc:
        code = repr(exc)
    signal.alarm(0)
    print(json.dumps({"argv": argv, "code": code, "err": err.getvalue()}))
"""


def _specials(folder: Path) -> dict[str, Path]:
    """Files that are not regular files, or not readable ones, made in ``folder``."""
    folder.mkdir()
    made = {name: folder / name for name in ("fifo", "zero", "folder", "loop", "dangling", "socket", "null")}
    os.mkfifo(made["fifo"])
    made["zero"].symlink_to("/dev/zero")
    made["null"].symlink_to("/dev/null")
    made["folder"].mkdir()
    made["loop"].symlink_to(folder / "loop")
    made["dangling"].symlink_to(folder / "nowhere")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(made["socket"]))
    return made


def test_special_files_are_refused_at_once_in_every_place_a_file_is_named(tmp_path, data_copy):
    """A FIFO, /dev/zero, /dev/null, a folder, a symlink loop, a dangling link, a socket: as the scenario, as its
    ``extends``, as a sweep spec and its base scenario, as each data file, as the expert positions file."""
    specials = _specials(tmp_path / "special")
    cases: list[tuple[list[str], str, Path]] = []  # argv, where, the file the message must name
    for kind, special in specials.items():
        cases.append((["check", str(special)], f"{kind} as the scenario", special))
        parent = tmp_path / f"extends-{kind}.toml"
        parent.write_text(f'extends = "{special.as_posix()}"\n', encoding="utf-8")
        cases.append((["check", str(parent)], f"{kind} as extends", parent))
        spec = tmp_path / f"spec-{kind}.toml"
        spec.write_text(to_toml(_put(SPEC_DATA, "sweep.scenario", special.as_posix())), encoding="utf-8")
        cases.append((["check", str(spec)], f"{kind} as the sweep's scenario", spec))
        expert = tmp_path / f"expert-{kind}.toml"
        expert.write_text(
            to_toml(
                _put(_put(SCENARIO, "seeder.name", "expert"), "seeder.positions_file", special.as_posix())
            ),
            encoding="utf-8",
        )
        cases.append((["check", str(expert)], f"{kind} as the expert positions", expert))
        for name in ("states.csv", "wcit2012_record.csv", "facts.toml", "country_ties_2012.csv"):
            data = tmp_path / f"data-{kind}-{name}"
            data.mkdir()
            for other in data_copy.iterdir():
                (data / other.name).symlink_to(special if other.name == name else other)
            if not (data / name).is_symlink():
                (data / name).symlink_to(special)
            cases.append((["check", str(TOY), "--data-dir", str(data)], f"{kind} as {name}", data / name))
    before = _tree(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps([argv for argv, _, _ in cases])],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(cases), done.stderr[-3000:]
    for (_, where, named), result in zip(cases, results, strict=True):
        code, err = result["code"], result["err"].strip()
        _count("special files (child process)", code if isinstance(code, int) else -1)
        assert isinstance(code, int), f"{where}: {code}"  # not an exception, not the alarm of a hang
        if code == 0 and named.name == "country_ties_2012.csv" and where.split()[0] in ("dangling", "loop"):
            continue  # the ties file is optional: a link to nothing counts as no file (data.load_dataset)
        _refused_in_one_line(code, err, named)
    assert _tree(tmp_path) == before


# ---------------------------------------------------------------- sizes and encodings


def _deep_tables(depth: int) -> str:
    return '[meta]\nname = "x"\n[' + ".".join(["a"] * depth) + "]\nb = 1\n"


def _clauses(n: int, ids) -> str:
    """The toy with ``n`` two-option clauses named by ``ids(i)`` (and no anchors, which name the toy's)."""
    clauses = [
        {"id": ids(i), "options": ["a", "b"], "values": [0.0, 1.0], "status_quo": 0.0} for i in range(n)
    ]
    return to_toml(_put(_put(SCENARIO, "groups.anchors", {}), "agenda.clauses", clauses))


#: Files past a bound (exit 2) and files large but within every bound (exit 0).
SIZES = {
    "over the size cap": (lambda: " " * MAX_BYTES + "\n[meta]\n", 2),
    "arrays nested 5,000 deep": (lambda: "a = " + "[" * 5000 + "]" * 5000 + "\n", 2),
    "inline tables nested 5,000 deep": (lambda: "a = " + "{b = " * 5000 + "1" + "}" * 5000 + "\n", 2),
    f"tables nested {MAX_DEPTH + 1} deep": (lambda: _deep_tables(MAX_DEPTH + 1), 2),
    "dotted keys 5,000 deep": (lambda: ".".join(["a"] * 5000) + " = 1\n", 2),
    "an integer of 5,000 digits": (
        lambda: to_toml(SCENARIO).replace('"seed" = 7', '"seed" = 1' + "0" * 5000),
        2,
    ),
    "50,000 seated codes": (
        lambda: to_toml(_put(SCENARIO, "seating.include", [f"{i:05d}" for i in range(50_000)])),
        2,
    ),
    "50,000 times one code": (lambda: to_toml(_put(SCENARIO, "seating.include", ["USA"] * 50_000)), 2),
    "2,000 clauses with one id": (lambda: _clauses(2000, lambda i: "c"), 2),
    "2,000 clauses": (lambda: _clauses(2000, lambda i: f"c{i}"), 0),
    "a title of 1 MB": (lambda: to_toml(_put(SCENARIO, "meta.title", "t" * 2**20)), 0),
}


@pytest.mark.parametrize("kind", list(SIZES))
def test_sizes_past_every_bound_are_refused_in_one_line(tmp_path, kind, capsys):
    path = tmp_path / "big.toml"
    make, expected = SIZES[kind]
    path.write_text(make(), encoding="utf-8")
    code, err = _check(path, capsys, "sizes")
    assert code == expected, err


def test_a_chain_of_extends_longer_than_the_bound_is_refused(tmp_path, capsys):
    for i in range(MAX_EXTENDS + 5):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "s{i + 1}.toml"\n', encoding="utf-8")
    (tmp_path / f"s{MAX_EXTENDS + 5}.toml").write_text(TOY.read_text(encoding="utf-8"), encoding="utf-8")
    code, err = _check(tmp_path / "s0.toml", capsys, "sizes")
    assert code == 2 and f"more than {MAX_EXTENDS} files" in err
    code, _ = _check(tmp_path / f"s{6}.toml", capsys, "sizes")  # a chain of exactly MAX_EXTENDS files
    assert code == 0


#: How a valid text is spoiled, and the exit status it must get.
ENCODINGS = {
    "UTF-16 with a byte-order mark": (lambda t: t.encode("utf-16"), 2),
    "UTF-32": (lambda t: t.encode("utf-32"), 2),
    "Latin-1": (lambda t: (t + "# ÿ\n").encode("latin-1"), 2),
    "a NUL byte": (lambda t: t.encode() + b"\x00\n", 2),
    "an overlong sequence": (lambda t: t.encode() + b"# \xc0\xaf\n", 2),
    "cut inside a character": (lambda t: t.encode() + "# é".encode()[:-1], 2),
    "a lone surrogate": (lambda t: t.encode() + b"# \xed\xb3\xbf\n", 2),
    "white space only": (lambda t: b" \n\t\n", 2),
    "empty": (lambda t: b"", 2),
    "UTF-8 with a byte-order mark": (lambda t: b"\xef\xbb\xbf" + t.encode(), 0),
    "Windows line ends": (lambda t: t.replace("\n", "\r\n").encode(), 0),
}


@pytest.mark.parametrize("kind", list(ENCODINGS))
@pytest.mark.parametrize("place", ["scenario", "states.csv", "expert positions"])
def test_encodings_other_than_utf8_are_refused_in_one_line(tmp_path, data_copy, kind, place, capsys):
    spoil, expected = ENCODINGS[kind]
    scenario, args = tmp_path / "scenario.toml", []
    if place == "scenario":
        target, text = scenario, TOY.read_text(encoding="utf-8")
    elif place == "states.csv":
        target, text = data_copy / "states.csv", (data_copy / "states.csv").read_text(encoding="utf-8")
        scenario.write_text(TOY.read_text(encoding="utf-8"), encoding="utf-8")
        args = ["--data-dir", str(data_copy)]
    else:
        target, text = tmp_path / "positions.csv", "iso3,clause,position,salience\nUSA,scope,0.1,1.0\n"
        expert = _put(_put(SCENARIO, "seeder.name", "expert"), "seeder.positions_file", target.as_posix())
        scenario.write_text(to_toml(expert), encoding="utf-8")
    target.write_bytes(spoil(text))
    before = _tree(tmp_path)
    code = main(["check", str(scenario), *args])
    err = capsys.readouterr().err.strip()
    _count("encodings", code)
    assert code == expected, err
    if code == 2:
        _refused_in_one_line(code, err, target)
    assert _tree(tmp_path) == before


# ---------------------------------------------------------------- random mutations (hypothesis)


def _paths(d, prefix=()):
    """Every (path, value) in a nested dict, lists of tables included."""
    for k, v in d.items():
        here = (*prefix, k)
        yield here, v
        if isinstance(v, dict):
            yield from _paths(v, here)
        elif _tables(v):
            for i, item in enumerate(v):
                yield from _paths(item, (*here, i))


def _set(d, path, new):
    node = d
    for key in path[:-1]:
        node = node[key]
    if new is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = new


BAD_VALUES = st.one_of(
    st.just(math.nan), st.just(math.inf), st.just(-math.inf), st.just(-1e300), st.just(1e300),
    st.just(-1), st.just(0), st.just("text"), st.just(True), st.just([1, "x"]), st.just({"k": 1}),
    st.just([]), st.just(""), st.just(DELETE), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
    st.text(max_size=8),
)  # fmt: skip


def _mutations(base: dict):
    paths = [p for p, _ in _paths(base)]
    replace = st.tuples(st.just("replace"), st.sampled_from(paths), BAD_VALUES)
    unknown = st.tuples(
        st.just("unknown"),
        st.sampled_from([p for p, v in _paths(base) if isinstance(v, dict)] + [()]),
        st.text(alphabet="abcxyz_", min_size=1, max_size=6),
    )
    return st.lists(st.one_of(replace, unknown), min_size=1, max_size=3)


def _apply(base: dict, mutations) -> dict:
    data = copy.deepcopy(base)
    for kind, path, new in mutations:
        try:
            if kind == "replace":
                _set(data, path, new if new is DELETE else copy.deepcopy(new))
            else:
                node = data
                for key in path:
                    node = node[key]
                node[new + "_unknown"] = 1
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the path
    return data


@settings(max_examples=N_SCENARIOS, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutations=_mutations(SCENARIO))
def test_generated_scenarios(tmp_path_factory, mutations, capsys):
    path = tmp_path_factory.mktemp("scn") / "scenario.toml"
    path.write_text(to_toml(_apply(SCENARIO, mutations)), encoding="utf-8")
    _check(path, capsys)


@settings(max_examples=N_SPECS, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutations=_mutations(SPEC_DATA))
def test_generated_sweep_specs(tmp_path_factory, mutations, capsys):
    path = tmp_path_factory.mktemp("spec") / "spec.toml"
    path.write_text(to_toml(_apply(SPEC_DATA, mutations)), encoding="utf-8")
    _check(path, capsys)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    cut=st.integers(0, 3000),
    junk=st.sampled_from(["", "[", "]]", "= =", '"', "\x00", "\udcff", "[[agenda]]\n"]),
)
def test_broken_toml_text(tmp_path_factory, cut, junk, capsys):
    text = TOY.read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("txt") / "broken.toml"
    path.write_bytes((text[:cut] + junk + text[cut:]).encode("utf-8", "surrogateescape"))
    _check(path, capsys)


@settings(max_examples=N_RUNS, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutations=_mutations(SCENARIO))
def test_generated_scenarios_write_nothing_when_refused(tmp_path_factory, mutations, capsys):
    folder = tmp_path_factory.mktemp("run")
    path = folder / "scenario.toml"
    path.write_text(to_toml(_apply(SCENARIO, mutations)), encoding="utf-8")
    out = folder / "out"
    code = main(["run", str(path), "--reps", "1", "--out", str(out), "--no-figures"])
    err = capsys.readouterr().err
    _count("hypothesis (run)", code)
    assert code in (0, 2), err
    if code == 2:
        assert not out.exists() or not any(out.rglob("*")), list(out.rglob("*"))
        assert "Traceback" not in err
    assert not [p for p in folder.rglob(".*")], list(folder.rglob(".*"))


def test_the_generated_tests_tried_over_a_thousand_files():
    """Runs last in this module: the count of cases tried, by family (see SEEN)."""
    if not SEEN:
        pytest.skip("run with the generated tests")
    tried = sum(t for t, _ in SEEN.values())
    assert tried >= 1000, SEEN
    lines = [f"  {family}: {t} tried, {r} refused in one line" for family, (t, r) in SEEN.items()]
    print(
        f"\ngenerated input: {tried} cases, 0 tracebacks, 0 hangs, 0 files outside --out\n" + "\n".join(lines)
    )


def test_fuzzed_data_folders_are_accepted_or_refused_in_one_line():
    """A short run of tools/fuzz_loaders.py (200 mutated data folders); run the tool for longer by hand."""
    from conftest import load_tool

    module = load_tool("fuzz_loaders")
    module.main(200)
    assert module.COUNT["tried"] == 200 and module.COUNT["refused"] > 0
