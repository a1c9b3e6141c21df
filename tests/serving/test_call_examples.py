"""A deployment says how to call it: its curl commands and Python programs, run for real, get predictions."""

import contextlib
import io
import json
import os
import subprocess

from ai4mlops_lab.serving.service import Deployments

PROXIES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def test_the_call_examples_answer_with_predictions(trained, deployments):
    workspace, run = trained
    record = Deployments(deployments, root=workspace.parent).deploy(run["id"], name="called")
    assert record["status"] == "running"
    chosen = record["config"]["run"]
    assert chosen["id"] == run["id"] and chosen["parameters"]["epochs"] == 20
    assert chosen["metric"]["name"] == "accuracy"  # the notebook's first metric, though `train` logs loss first
    assert chosen["metric"]["value"] == run["metrics"]["accuracy"]

    usage = record["usage"]
    width = record["signature"]["inputs"][0]["shape"][1]
    assert len(json.loads(usage["v1"]["body"])["instances"][0]) == width
    env = {k: v for k, v in os.environ.items() if k not in PROXIES}
    for protocol, answer in (("v1", "predictions"), ("v2", "outputs")):
        example = usage[protocol]
        assert example["url"] == record["endpoints"][protocol]
        done = subprocess.run(["sh", "-c", example["curl"]], capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 0, done.stderr
        assert len(json.loads(done.stdout)[answer]) == 1, done.stdout

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(example["python"], {})
        assert printed.getvalue().strip().startswith("["), printed.getvalue()


def test_a_stopped_deployment_has_no_call_examples(trained, deployments):
    workspace, run = trained
    service = Deployments(deployments, root=workspace.parent)
    service.deploy(run["id"], name="quiet")
    stopped = service.stop("quiet")
    assert stopped["usage"] is None and service.get("quiet")["usage"] is None
