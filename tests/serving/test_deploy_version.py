"""A version of a model registered from a real trained run, deployed by number and by alias (the function and
`ai4mlops models deploy`): real local model servers that answer, each recording the version it serves."""

import json

import pytest

from ai4mlops_lab.cli.main import main
from ai4mlops_lab.registry.deploy import deploy_version
from ai4mlops_lab.workspace import Workspace


@pytest.fixture
def workspace(trained):
    """The trained workspace with its run registered as `vers-iris` v1 (champion); the deployments a test made are
    removed afterwards, and the model's aliases cleared."""
    folder, run = trained
    workspace = Workspace(folder, root=folder.parent)
    if not any(m["name"] == "vers-iris" for m in workspace.registry.models()):
        workspace.registry.register(run["id"], name="vers-iris")
    workspace.registry.set_alias("vers-iris", "champion", 1)
    before = {d["name"] for d in workspace.deployments.list()}
    yield workspace
    for record in workspace.deployments.list():
        if record["name"] not in before:
            workspace.deployments.remove(record["name"])
    workspace.registry.remove_alias("vers-iris", "champion")


def answers(workspace, record) -> int:
    """How many predictions the deployment returns for two rows of its model's input width."""
    width = record["signature"]["inputs"][0]["shape"][-1]
    reply = workspace.deployments.predict(record["name"], {"instances": [[0.1] * width] * 2})
    return len(reply["predictions"])


def test_a_version_deploys_by_number_and_by_alias_recording_which(workspace, trained):
    by_number = deploy_version(workspace.registry, workspace.deployments, "vers-iris", 1)
    assert (by_number["name"], by_number["status"], by_number["run_id"]) == ("vers-iris", "running", trained[1]["id"])
    assert by_number["model_name"] == "train/model" and by_number["config"]["run"]["id"] == trained[1]["id"]
    assert by_number["config"]["version"] == {"model": "vers-iris", "version": 1, "alias": None}
    assert answers(workspace, by_number) == 2

    by_alias = deploy_version(workspace.registry, workspace.deployments, "vers-iris", "champion", name="vers-champ")
    assert by_alias["name"] == "vers-champ" and by_alias["status"] == "running"
    assert by_alias["config"]["version"] == {"model": "vers-iris", "version": 1, "alias": "champion"}
    assert workspace.deployments.get("vers-champ")["config"]["version"] == by_alias["config"]["version"]
    assert answers(workspace, by_alias) == 2


def test_the_cli_deploys_the_champion_when_no_version_is_named_and_says_so(workspace, capsys):
    code = main(["models", "deploy", "vers-iris", "--name", "vers-cli", "--workspace", str(workspace.folder)])
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert out.splitlines()[:2] == [
        "Deploying vers-iris v1: its champion alias",
        "Deployment 'vers-cli' is running, served by the ai4mlops model server (this machine)",
    ]
    assert "/v2/models/vers-cli/infer" in out
    assert workspace.deployments.get("vers-cli")["config"]["version"]["alias"] == "champion"

    workspace.deployments.remove("vers-cli")
    code = main(
        ["models", "deploy", "vers-iris", "1", "--name", "vers-cli", "--json", "--workspace", str(workspace.folder)]
    )
    out, err = capsys.readouterr()
    assert code == 0 and "Deploying" not in err  # a version named: no choice to report
    assert json.loads(out)["config"]["version"] == {"model": "vers-iris", "version": 1, "alias": None}
