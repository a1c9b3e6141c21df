"""Readable step logs (runs/step_log.py), parsed from the logs of real local runs."""

from ai4mlops_lab.runs.step_log import describe, readable, strip_ansi

from ..notebooks import CHAINED_FAILURE, HELPER_FAILS, write_notebook
from .conftest import wait_for


def run_notebook(service, folder, cells):
    run = service.start(write_notebook(folder, "steps.ipynb", cells))
    return wait_for(service, run["id"])


def test_a_failed_step_shows_the_users_output_and_its_error_in_notebook_cells(service, tmp_path):
    run = run_notebook(service, tmp_path, HELPER_FAILS)
    assert run["status"] == "failed"
    raw = service.logs(run["id"], "train")
    assert "\x1b[" in raw and "runpy" in raw  # what the user used to see

    view = readable(raw)
    lines = view["output"].split("\n")
    assert lines[0] == "training on 4"
    assert lines[1] == "cell 4, line 3: UserWarning: careful"
    assert not any(noise in view["output"] for noise in ("KFP Executor", "executor_input", "Task", "\x1b"))
    error = view["error"]
    assert (error["type"], error["message"]) == ("ZeroDivisionError", "float division by zero")
    assert error["frames"] == [
        {"cell": 3, "line": 5, "code": "y = ratio(x)", "function": None},
        {"cell": 1, "line": 3, "code": "return math.sqrt(v) / 0", "function": "ratio"},
    ]
    assert error["hidden_frames"] >= 3  # runpy, kfp's executor, the generated component
    assert "runpy" in view["text"] and "\x1b" not in view["text"]

    train = next(s for s in run["steps"] if s["name"] == "train")
    assert train["error"] == describe(error)
    assert describe(error).split("\n") == [
        "ZeroDivisionError: float division by zero",
        "  cell 4, line 5: y = ratio(x)",
        "  cell 2, line 3, in ratio: return math.sqrt(v) / 0",
    ]
    assert describe(error) in run["error"]


def test_a_succeeded_step_is_its_output_alone(service, tmp_path):
    run = run_notebook(service, tmp_path, HELPER_FAILS)
    view = readable(service.logs(run["id"], "load"))
    assert view == {**view, "output": "loaded 4", "error": None}
    assert "finished with status SUCCESS" in view["text"]


def test_a_chained_failure_keeps_a_handled_traceback_in_the_output(service, tmp_path):
    run = run_notebook(service, tmp_path, CHAINED_FAILURE)
    view = readable(service.logs(run["id"], "chain"))
    assert "recovered" in view["output"] and "KeyError: 'a'" in view["output"]
    assert "no b" not in view["output"] and "KeyError: 'b'" not in view["output"]
    error = view["error"]
    assert (error["type"], error["message"]) == ("ValueError", "no b")
    [frame] = error["frames"]
    assert frame == {"cell": 0, "line": 10, "code": "raise ValueError('no b') from missing", "function": None}


def test_terminal_codes_and_carriage_returns_are_resolved():
    assert strip_ansi("\x1b[96m'train'\x1b[0m done\nepoch 1\repoch 2\r\nnext") == "'train' done\nepoch 2\nnext"
