"""POST /analyze and /compile through the real server: shapes, files, confinement, errors."""

import json
import os

import pytest
from tornado.httpclient import HTTPClientError

from ..notebooks import TWO_STEPS, UNDEFINED_NAME, tagged_notebook, write_notebook


async def post(jp_fetch, route, body):
    return await jp_fetch("ai4mlops-lab", "api", route, method="POST", body=json.dumps(body))


async def failure_of(jp_fetch, route, body, raw=None):
    with pytest.raises(HTTPClientError) as failure:
        await jp_fetch("ai4mlops-lab", "api", route, method="POST", body=raw if raw is not None else json.dumps(body))
    return failure.value.code, json.loads(failure.value.response.body)


async def test_analyze_inline_notebook_returns_steps_edges_and_parameters(jp_fetch):
    response = await post(jp_fetch, "analyze", {"notebook": tagged_notebook(*TWO_STEPS), "name": "demo"})
    result = json.loads(response.body)
    assert result["ok"] is True
    assert [s["name"] for s in result["steps"]] == ["load", "double"]
    assert {"source": "load", "target": "double", "variables": ["x"], "kind": "data"} in result["edges"]
    assert result["parameters"] == [{"name": "scale", "type": "int", "default": 2}]
    assert result["files"] == []


async def test_analyze_saved_notebook_by_path(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    result = json.loads((await post(jp_fetch, "analyze", {"path": "demo.ipynb"})).body)
    assert result["pipeline"] == "demo"


async def test_analyze_shows_the_recorded_step_image_and_the_steps_running_in_it(jp_fetch):
    """Issue 18: what the Pipeline panel shows; the reply is checked against the OpenAPI document (conftest)."""
    notebook = tagged_notebook(*TWO_STEPS)
    recorded = {"image": "registry.example.org/team/demo:0123456789ab", "packages": ["kfp==2.17.3"]}
    notebook.metadata["ai4mlops_lab"] = {"step_image": recorded}
    result = json.loads((await post(jp_fetch, "analyze", {"notebook": notebook, "name": "demo"})).body)
    assert result["settings"]["step_image"] == recorded
    assert [s["image"] for s in result["steps"]] == [recorded["image"]] * 2
    plain = json.loads((await post(jp_fetch, "analyze", {"notebook": tagged_notebook(*TWO_STEPS)})).body)
    assert plain["settings"]["step_image"] is None and [s["image"] for s in plain["steps"]] == [None, None]


async def test_analyze_reports_errors_as_diagnostics_not_failures(jp_fetch):
    response = await post(jp_fetch, "analyze", {"notebook": tagged_notebook(*UNDEFINED_NAME)})
    result = json.loads(response.body)
    assert result["ok"] is False
    [problem] = [d for d in result["diagnostics"] if d["severity"] == "error"]
    assert problem["cell"] == 0 and "x" in problem["message"]


async def test_compile_writes_the_files_and_names_them_relative_to_the_root(jp_fetch, jp_root_dir):
    (jp_root_dir / "work").mkdir()
    write_notebook(jp_root_dir / "work", "demo.ipynb", TWO_STEPS)
    result = json.loads((await post(jp_fetch, "compile", {"path": "work/demo.ipynb"})).body)
    assert result["ok"] is True
    assert sorted(result["files"]) == ["work/demo.pipeline.yaml", "work/demo.py"]
    assert "pipelineInfo" in (jp_root_dir / "work" / "demo.pipeline.yaml").read_text()


async def test_compile_with_notebook_errors_is_422_with_diagnostics_and_writes_nothing(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir, "broken.ipynb", UNDEFINED_NAME)
    code, body = await failure_of(jp_fetch, "compile", {"path": "broken.ipynb"})
    assert code == 422
    assert body["error"] == "notebook_errors"
    assert "cell 1" in body["detail"]
    assert any(d["severity"] == "error" for d in body["diagnostics"])
    assert not list(jp_root_dir.glob("broken*.py")) and not list(jp_root_dir.glob("*.yaml"))


@pytest.mark.parametrize("path", ["../outside.ipynb", "/etc/passwd"])
async def test_paths_outside_the_root_are_refused(jp_fetch, path):
    code, body = await failure_of(jp_fetch, "analyze", {"path": path})
    assert (code, body["error"]) == (403, "forbidden") or (code, body["error"]) == (404, "not_found")
    assert "Traceback" not in json.dumps(body)


async def test_parent_escape_is_forbidden(jp_fetch):
    code, body = await failure_of(jp_fetch, "compile", {"path": "../outside.ipynb"})
    assert (code, body["error"]) == (403, "forbidden")


async def test_missing_notebook_is_404_naming_it(jp_fetch):
    code, body = await failure_of(jp_fetch, "compile", {"path": "nope.ipynb"})
    assert code == 404 and "nope.ipynb" in body["detail"]


async def test_a_file_that_is_not_a_notebook_is_400(jp_fetch, jp_root_dir):
    (jp_root_dir / "notes.ipynb").write_text("not json")
    code, body = await failure_of(jp_fetch, "analyze", {"path": "notes.ipynb"})
    assert code == 400 and body["hint"]


async def test_malformed_body_is_400(jp_fetch):
    code, body = await failure_of(jp_fetch, "analyze", None, raw="{not json")
    assert code == 400 and "JSON" in body["detail"]
    code, body = await failure_of(jp_fetch, "analyze", {"path": ""})
    assert code == 400 and body["hint"]


async def test_compile_replaces_symlinks_at_its_outputs_and_never_writes_through_them(jp_fetch, jp_root_dir):
    """Issue 10, item 3: `demo.py` and `demo.pipeline.yaml` linking out of the root are replaced by the files."""
    outside = jp_root_dir.parent / "outside"
    outside.mkdir()
    (outside / "victim.py").write_text("keep me")
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    os.symlink(outside / "victim.py", jp_root_dir / "demo.py")
    os.symlink(outside / "created.yaml", jp_root_dir / "demo.pipeline.yaml")
    result = json.loads((await post(jp_fetch, "compile", {"path": "demo.ipynb"})).body)
    assert sorted(result["files"]) == ["demo.pipeline.yaml", "demo.py"]
    assert sorted(p.name for p in outside.iterdir()) == ["victim.py"]
    assert (outside / "victim.py").read_text() == "keep me"
    assert not (jp_root_dir / "demo.py").is_symlink() and "def pipeline" in (jp_root_dir / "demo.py").read_text()
    assert "pipelineInfo" in (jp_root_dir / "demo.pipeline.yaml").read_text()


@pytest.mark.parametrize("outdir", ["../outside", "up/outside"])
async def test_an_output_folder_outside_the_root_is_refused(jp_fetch, jp_root_dir, outdir):
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    os.symlink(jp_root_dir.parent, jp_root_dir / "up")
    code, body = await failure_of(jp_fetch, "compile", {"path": "demo.ipynb", "outdir": outdir})
    assert (code, body["error"]) == (403, "forbidden") and outdir in body["detail"]
    assert not (jp_root_dir.parent / "outside").exists()


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("demo\x00.ipynb", "NUL byte"),
        ("a" * 300 + ".ipynb", "over the limit of 255"),
        ("a/" * 2100 + "demo.ipynb", "over the limit of 4096"),
    ],
)
@pytest.mark.parametrize("route", ["analyze", "compile", "runs"])
async def test_malformed_paths_are_400_naming_the_problem(jp_fetch, route, path, named):
    code, body = await failure_of(jp_fetch, route, {"path": path})
    assert code == 400 and named in body["detail"] and body["hint"]


@pytest.mark.parametrize("outdir", ["demo.ipynb", "demo.ipynb/inside"])
async def test_compile_into_a_file_is_a_400_not_a_bug_report(jp_fetch, jp_root_dir, outdir):
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    code, body = await failure_of(jp_fetch, "compile", {"path": "demo.ipynb", "outdir": outdir})
    assert code == 400 and "is, or is inside, a file" in body["detail"]


@pytest.mark.parametrize("route", ["analyze", "compile", "runs"])
async def test_a_folder_named_as_the_notebook_is_a_400_that_shows_no_server_path(jp_fetch, jp_root_dir, route):
    (jp_root_dir / "work").mkdir()
    code, body = await failure_of(jp_fetch, route, {"path": "work"})
    assert code == 400 and body["detail"] == "'work' is a folder, not a notebook."
