"""Generated bad input (hypothesis): malformed scenario and sweep files never cause a traceback.

Each example mutates a valid file (an unknown key, a wrong type, NaN or an infinity,
an out-of-range number, a missing key, a broken TOML text) and checks the contract:
``wcitsim check`` exits 0 (the file is still valid) or 2 with one line that names the
file; no other exception escapes. Over 1,000 examples run per CI run (see
``N_SCENARIOS`` and ``N_SPECS``); ``tools/fuzz_loaders.py`` runs the same for longer.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcitsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"
SPEC = ROOT / "scenarios" / "sweeps" / "grid_conformity_anchor.toml"
N_SCENARIOS, N_SPECS, N_RUNS = 700, 400, 60
SEEN = {"examples": 0, "errors": 0}


def to_toml(data: dict) -> str:
    """A small TOML writer for what scenario and spec files hold."""
    lines: list[str] = []

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return '"' + v.replace("\\\\", "\\\\\\\\").replace('"', '\\\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + "}"
        raise TypeError(type(v))

    def table(prefix: str, d: dict) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict) and not _tables(v)}
        if prefix and scalars:
            lines.append(f"[{prefix}]")
        for k, v in scalars.items():
            lines.append(f'"{k}" = {value(v)}')
        for k, v in d.items():
            name = f'{prefix}."{k}"' if prefix else f'"{k}"'
            if isinstance(v, dict):
                table(name, v)
            elif _tables(v):
                for item in v:
                    lines.append(f"[[{name}]]")
                    for kk, vv in item.items():
                        lines.append(f'"{kk}" = {value(vv)}')

    table("", data)
    return "\n".join(lines) + "\n"


def _tables(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


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


DELETE = object()
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
    import copy

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


def _check(path: Path, capsys) -> int:
    code = main(["check", str(path)])
    err = capsys.readouterr().err.strip()
    SEEN["examples"] += 1
    assert code in (0, 2), err
    if code == 2:
        SEEN["errors"] += 1
        assert len(err.splitlines()) == 1, err
        assert err.startswith("wcitsim: error: ") and str(path) in err, err
    return code


SCENARIO = tomllib.loads(TOY.read_text(encoding="utf-8"))
SPEC_DATA = tomllib.loads(SPEC.read_text(encoding="utf-8"))
SPEC_DATA["sweep"]["scenario"] = (ROOT / "scenarios" / "wcit2012.toml").as_posix()


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
    assert code in (0, 2), err
    if code == 2:
        assert not out.exists() or not any(out.rglob("*")), list(out.rglob("*"))
        assert "Traceback" not in err


def test_the_generated_tests_tried_over_a_thousand_files():
    """Runs last in this module: the count of malformed files tried (see SEEN)."""
    if SEEN["examples"] == 0:
        pytest.skip("run with the generated tests")
    assert SEEN["examples"] >= 1000, SEEN
    print(
        f"\ngenerated input: {SEEN['examples']} files checked, {SEEN['errors']} refused with one line, 0 tracebacks"
    )


def test_fuzzed_data_folders_are_accepted_or_refused_in_one_line():
    """A short run of tools/fuzz_loaders.py (200 mutated data folders); run the tool for longer by hand."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fuzz_loaders", ROOT / "tools" / "fuzz_loaders.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(200)
    assert module.COUNT["tried"] == 200 and module.COUNT["refused"] > 0
