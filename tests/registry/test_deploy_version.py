"""Deploying a version: what is refused before anything is served, and which version is chosen when none is named
(the deployments themselves, on a real trained model: tests/serving/test_deploy_version.py)."""

import pytest

from ai4mlops_lab.errors import NotFoundError, UserError
from ai4mlops_lab.registry.deploy import default_version, deploy_version
from ai4mlops_lab.workspace import Workspace

from ..model_runs import model_run


@pytest.fixture
def workspace(tmp_path):
    return Workspace(tmp_path / ".ai4mlops")


@pytest.fixture
def runs(workspace, tmp_path):
    return [model_run(workspace.folder, tmp_path / f"model-{i}") for i in range(3)]


def test_an_archived_version_is_refused_saying_how_to_restore_it(workspace, runs):
    registry = workspace.registry
    registry.register(runs[0], name="iris")
    registry.register(runs[1], name="iris", aliases=["champion"])
    registry.archive("iris", 1)
    with pytest.raises(UserError, match="Version 1 of model 'iris' is archived") as refused:
        deploy_version(registry, workspace.deployments, "iris", 1)
    assert refused.value.status == 409 and "ai4mlops models restore iris 1" in refused.value.hint
    assert workspace.deployments.list() == []


def test_unknown_versions_and_aliases_are_404_naming_what_exists(workspace, runs):
    workspace.registry.register(runs[0], name="iris", aliases=["champion"])
    with pytest.raises(NotFoundError, match="no version 3") as missing:
        deploy_version(workspace.registry, workspace.deployments, "iris", "3")
    assert missing.value.hint == "Its versions are 1 to 1."
    with pytest.raises(NotFoundError, match="no alias 'prod'") as missing:
        deploy_version(workspace.registry, workspace.deployments, "iris", "prod")
    assert missing.value.hint == "Its aliases: champion."
    with pytest.raises(NotFoundError, match="No registered model 'irs'") as missing:
        deploy_version(workspace.registry, workspace.deployments, "irs", 1)
    assert missing.value.hint == "The registered models: iris."
    assert workspace.deployments.list() == []


def test_the_default_is_the_champion_else_the_latest_live_version(workspace, runs):
    registry = workspace.registry
    for run_id in runs:
        registry.register(run_id, name="iris")
    assert default_version(registry, "iris") == (
        3,
        "Deploying iris v3: its latest live version (it has no champion alias)",
    )
    registry.archive("iris", 3)
    assert default_version(registry, "iris")[0] == 2
    registry.set_alias("iris", "champion", 1)
    assert default_version(registry, "iris") == ("champion", "Deploying iris v1: its champion alias")


def test_a_model_with_only_archived_versions_has_no_default(workspace, runs):
    workspace.registry.register(runs[0], name="iris")
    workspace.registry.archive("iris", 1)
    with pytest.raises(UserError, match="Every version of model 'iris' is archived") as refused:
        default_version(workspace.registry, "iris")
    assert refused.value.status == 409 and "restore" in refused.value.hint
