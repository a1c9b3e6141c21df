"""Static analysis: data edges, mutation, free variables and diagnostics."""

from ai4mlops_lab.analysis import analyze_code, strip_magics
from tests.compiler.helpers import analyze, edges, find, messages, step


def test_independent_steps_stay_independent_and_prev_is_kept():
    result = analyze(
        [
            (["step:a"], "x = [1]"),
            (["step:b"], "y = len(x)"),
            (["step:c"], "z = sum(x)"),
            (["step:d", "prev:b"], "w = z + 1"),
        ]
    )
    assert edges(result) == {
        ("a", "b", ("x",), "data"),
        ("a", "c", ("x",), "data"),
        ("b", "d", (), "prev"),
        ("c", "d", ("z",), "data"),
    }
    assert step(result, "d")["after"] == ["b", "c"]


def test_mutation_makes_the_mutating_step_the_source():
    result = analyze(
        [
            (["step:a"], "items = []\nconf = {}\nobj = object()"),
            (["step:b"], "items.append(1)"),
            (["step:c"], "conf['k'] = 2"),
            (["step:d"], "n = 0\nn += 1"),
            (["step:e"], "print(items, conf, n)"),
        ]
    )
    assert {(e[0], e[2]) for e in edges(result) if e[1] == "e"} == {("b", ("items",)), ("c", ("conf",)), ("d", ("n",))}
    assert ("a", "b", ("items",), "data") in edges(result)
    outputs = {o["name"]: o["type"] for o in step(result, "d")["outputs"]}
    assert outputs == {"n": "int"}


def test_pure_methods_do_not_serialise_readers():
    result = analyze(
        [
            (["imports"], "import numpy as np"),
            (["step:a"], "x = np.ones(3)"),
            (["step:b"], "m = x.mean()"),
            (["step:c"], "s = x.sum()\nnp.save('f', x)"),
        ]
    )
    assert {e[:2] for e in edges(result)} == {("a", "b"), ("a", "c")}


def test_function_free_variables_travel_with_the_defining_step():
    result = analyze(
        [
            (["pipeline-parameters"], "scale = 2.0"),
            (["step:a"], "offset = 1"),
            (["step:b"], "def f(v):\n    return helper(v) * scale + offset\ndef helper(v):\n    return v"),
            (["step:c"], "y = f(3)"),
        ]
    )
    b = step(result, "b")
    assert {i["name"] for i in b["inputs"]} == {"offset", "scale"}
    assert ("b", "c", ("f",), "data") in edges(result)
    assert step(result, "c")["inputs"] == [{"name": "f", "from": "b", "type": "Artifact"}]


def test_prelude_names_and_parameters_are_not_edges():
    result = analyze(
        [
            (["imports"], "import math"),
            (["functions"], "def area(r):\n    return math.pi * r * r * factor"),
            (["pipeline-parameters"], "factor = 2"),
            (["step:a"], "r = 3"),
            (["step:b"], "print(area(r))"),
        ]
    )
    assert edges(result) == {("a", "b", ("r",), "data")}
    assert step(result, "b")["parameters"] == ["factor"]
    assert step(result, "a")["outputs"] == [{"name": "r", "type": "int", "key": "r"}]


def test_undefined_name_is_an_error_with_cell_and_line():
    result = analyze([(["step:a"], "x = 1\ny = missing + x")])
    diag = find(result, "error", "'missing'")
    assert (diag["cell"], diag["line"]) == (0, 2) and diag["hint"]


def test_star_import_warns_and_analysis_goes_on():
    result = analyze([(["step:a"], "from math import *\nv = sqrt(4)\nw = nowhere"), (["step:b"], "u = v")])
    assert find(result, "warning", "star import")["line"] == 1
    assert find(result, "warning", "'sqrt' is assumed")
    assert ("a", "b", ("v",), "data") in edges(result)
    assert result["ok"]


def test_dynamic_names_warn():
    result = analyze(
        [
            (["imports"], "import sys"),
            (["step:a"], "exec('q = 1')\nglobals()['z'] = 2\nsetattr(sys, 'k', 1)\nvars().update(a=1)"),
        ]
    )
    assert len([m for m in messages(result, "warning") if "dynamically" in m]) == 4


def test_magics_are_commented_and_pip_becomes_packages():
    stripped = strip_magics("%pip install -q requests==2.0 --upgrade\n!ls -l\nfor i in range(2):\n    %time f()\nx = 1")
    assert stripped.code.splitlines()[0] == "# %pip install -q requests==2.0 --upgrade"
    assert stripped.code.splitlines()[3] == "    pass  # %time f()"
    assert stripped.packages == ["requests==2.0"]
    result = analyze([(["step:a"], "!pip install tinypkg\n%matplotlib inline\nx = 1")])
    assert "tinypkg" in step(result, "a")["packages"]
    assert len(messages(result, "warning")) == 2 and result["ok"]
    assert strip_magics("%%bash\necho hi").code == "# %%bash\n# echo hi"


def test_syntax_error_names_cell_and_line():
    result = analyze([(["step:a"], "x = 1"), (["step:b"], "y = (\n")])
    assert find(result, "error", "syntax error")["cell"] == 1


def test_del_of_passed_and_deleted_then_read():
    result = analyze([(["step:a"], "x = 1"), (["step:b"], "del x"), (["step:c"], "y = x")])
    assert find(result, "warning", "'del x' only affects")["cell"] == 1
    assert find(result, "error", "deleted in step 'b'")["cell"] == 2


def test_unpicklable_values_cannot_be_passed():
    result = analyze(
        [
            (["step:a"], "fh = open('f.txt')\ngen = (i for i in range(3))\nok = open('g').read()"),
            (["step:b"], "print(fh, gen, ok)"),
        ]
    )
    assert len([m for m in messages(result, "error") if "cannot be passed" in m]) == 2
    assert find(result, "error", "open file")["line"] == 1


def test_cycle_from_appended_step_is_an_error():
    result = analyze([(["step:a"], "x = 1"), (["step:b"], "y = x"), (["step:a"], "z = y")])
    assert find(result, "error", "cycle")


def test_import_made_by_an_earlier_step_is_redone():
    result = analyze([(["step:a"], "import json\nx = 1"), (["step:b"], "s = json.dumps(x)")])
    assert edges(result) == {("a", "b", ("x",), "data")}
    assert result["ok"]


def test_conditional_and_loop_writes():
    facts = analyze_code("for i in range(3):\n    y = i\nif c:\n    z = 1\nelse:\n    z = 2")
    writes = {(e.name, e.definite) for e in facts.events if e.kind == "write"}
    assert ("y", False) in writes and ("z", True) in writes
    result = analyze([(["step:a"], "total = 0\nfor i in range(3):\n    total += i\nlast = i")])
    assert result["ok"]


def test_class_and_comprehension_scopes():
    facts = analyze_code("class A:\n    k = base\n    def m(self):\n        return k2\nv = [j * w for j in q]")
    reads = {e.name for e in facts.events if e.kind == "read"}
    deferred = {e.name for e in facts.events if e.kind == "deferred"}
    assert {"base", "w", "q"} <= reads and "j" not in reads and deferred == {"k2"}
