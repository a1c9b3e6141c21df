"""The life of a local deployment (issue 10, items 7, 9, 11, 12): private files, liveness that does not depend
on how the workspace is spelled, stop and restart that never leave a second server, and a port that stays."""

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.runs import processes
from ai4mlops_lab.serving.server_process import SERVER_MODULE

from .conftest import local_deployments


def model_servers(folder: Path) -> list[int]:
    """The pids of running model server processes of the deployment in `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            SERVER_MODULE.encode() in command
            and str(folder).encode() in command
            and processes.is_alive(int(entry.name))
        ):
            found.append(int(entry.name))
    return found


def test_workspace_run_and_deployment_files_are_private(trained, served):
    """Item 7: folders 0700, files 0600, whoever wrote them (server, run worker, model server)."""
    workspace = trained[0]
    loose = {
        str(path.relative_to(workspace)): oct(path.stat().st_mode & 0o777)
        for path in [workspace, *workspace.rglob("*")]
        if not path.is_symlink() and path.stat().st_mode & 0o777 != (0o700 if path.is_dir() else 0o600)
    }
    assert loose == {}
    assert (workspace / "runs" / trained[1]["id"] / "worker.log").is_file()
    assert (Path(served[1]["folder"]) / "server.log").is_file()


def test_a_relative_workspace_sees_a_healthy_deployment_as_running(trained, served):
    """Item 9: the liveness check does not depend on how --workspace is spelled."""
    workspace, name = trained[0], served[1]["name"]
    listed = subprocess.run(
        [sys.executable, "-m", "ai4mlops_lab.cli", "deployments", "--json", "--workspace", workspace.name],
        cwd=workspace.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    [record] = [d for d in json.loads(listed.stdout) if d["name"] == name]
    assert record["status"] == "running" and record["pid"] == served[1]["pid"]
    assert served[0].get(name)["status"] == "running"


def test_restart_of_a_deployment_wrongly_marked_failed_leaves_one_server(trained, deployments):
    """Item 11: the record lost its pid but the server runs; restart (twice at once) stops it and starts one."""
    deployed = deployments.deploy(trained[1]["id"], name="wrongly-failed")
    folder = Path(deployed["folder"])
    deployments.store.update("wrongly-failed", status="failed", pid=None, error="judged gone")
    results, errors = [], []

    def restart():
        try:
            results.append(deployments.restart("wrongly-failed"))
        except UserError as err:  # pragma: no cover - reported below
            errors.append(err)

    clicks = [threading.Thread(target=restart) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join(timeout=300)
    assert errors == [] and len(results) == 2
    assert not processes.is_alive(deployed["pid"])
    final = deployments.get("wrongly-failed")
    assert final["status"] == "running" and model_servers(folder) == [final["pid"]]
    deployments.stop("wrongly-failed")
    assert model_servers(folder) == []


def test_stop_from_another_process_finds_the_server_by_its_pid_file(trained, deployments):
    """Item 11: a CLI (no child process of its own) stops a server whose record says it failed."""
    deployed = deployments.deploy(trained[1]["id"], name="stop-elsewhere")
    deployments.store.update("stop-elsewhere", status="failed", pid=None)
    stopped = local_deployments(trained[0]).stop("stop-elsewhere")
    assert stopped["status"] == "stopped" and model_servers(Path(deployed["folder"])) == []


def test_a_deployment_keeps_its_port_across_restart_and_redeploys(trained, deployments):
    """Item 12: restart and a redeploy under the same name serve on the same port (a rollout keeps it too:
    test_local_rollouts)."""
    run_id = trained[1]["id"]
    port = deployments.deploy(run_id, name="steady")["port"]
    assert deployments.restart("steady")["port"] == port
    deployments.stop("steady")
    redeployed = deployments.deploy(run_id, name="steady")
    assert redeployed["port"] == port and redeployed["url"] == f"http://127.0.0.1:{port}"
    deployments.stop("steady")


def test_a_port_taken_by_another_process_is_a_clear_conflict_not_a_new_url(trained, deployments):
    port = deployments.deploy(trained[1]["id"], name="squatted")["port"]
    deployments.stop("squatted")
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the old connections are in TIME_WAIT
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(UserError) as taken:
            deployments.restart("squatted")
    assert taken.value.status == 409 and f"Port {port}" in taken.value.message
    assert deployments.get("squatted")["status"] == "failed"
    assert deployments.restart("squatted")["port"] == port
    deployments.stop("squatted")
