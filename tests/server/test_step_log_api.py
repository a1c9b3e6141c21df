"""GET runs/{id}/steps/{step}/log: a step's log as people read it, through the real server and a real run."""

from ..notebooks import HELPER_FAILS, write_notebook
from .test_runs_api import api, failure, wait


async def test_a_failed_steps_log_is_its_output_and_its_error_located_in_the_notebook(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir, "helper.ipynb", HELPER_FAILS)
    _, run = await api(jp_fetch, "runs", method="POST", body={"path": "helper.ipynb"})
    assert (await wait(jp_fetch, run["id"]))["status"] == "failed"

    _, log = await api(jp_fetch, "runs", run["id"], "steps", "train", "log")
    assert (log["run_id"], log["step"]) == (run["id"], "train")
    assert log["output"].split("\n")[0] == "training on 4" and "KFP Executor" not in log["output"]
    assert log["error"]["type"] == "ZeroDivisionError"
    assert [(f["cell"], f["line"]) for f in log["error"]["frames"]] == [(3, 5), (1, 3)]
    assert "runpy" in log["text"] and "\x1b" not in log["text"]

    _, tail = await api(jp_fetch, "runs", run["id"], "steps", "train", "log", params={"tail": "1"})
    assert tail["output"] == log["output"].split("\n")[-1] and tail["error"] == log["error"]
    _, loaded = await api(jp_fetch, "runs", run["id"], "steps", "load", "log")
    assert (loaded["output"], loaded["error"]) == ("loaded 4", None)

    code, body = await failure(jp_fetch, "runs", run["id"], "steps", "nope", "log")
    assert code == 404 and "load, train" in body["hint"]
    code, body = await failure(jp_fetch, "runs", run["id"], "steps", "train", "log", params={"tail": "x"})
    assert code == 400 and "tail" in body["detail"]
