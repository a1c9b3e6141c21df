"""Deployment names are checked before anything happens (issue 10, item 1): a refused name touches nothing."""

import json

import pytest
from tornado.httpclient import HTTPClientError

from ai4mlops_lab.workspace import STORE_FILE

from ..model_runs import model_run, tree

BAD_NAMES = ["../../../outside/victim-dir", "..", "-lead", "a b", "x" * 300, 5, 0, [], ["a"], {"a": 1}, True]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
async def test_a_refused_name_leaves_the_victim_and_the_workspace_untouched(jp_fetch, jp_root_dir, name):
    workspace = jp_root_dir / ".ai4mlops"
    run_id = model_run(workspace, jp_root_dir / "artifacts" / "model")
    victim = jp_root_dir.parent / "outside" / "victim-dir"
    victim.mkdir(parents=True)
    (victim / "precious.txt").write_text("keep me")
    before = tree(victim)

    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(
            "ai4mlops-lab", "api", "deployments", method="POST", body=json.dumps({"run_id": run_id, "name": name})
        )
    body = json.loads(refused.value.response.body)
    assert refused.value.code == 400, body
    assert "'name'" in body["detail"] and body["hint"]
    assert tree(victim) == before
    assert not (workspace / "deployments").exists()
    assert (workspace / STORE_FILE).is_file()
