"""Spare workers: the next local run's worker started ahead, handed the run, replaced after it; a package changed
since it imported runs afresh; an idle one exits; the pipeline panel's analysis starts one."""

import json
import os

import pytest

from ai4mlops_lab.runs import processes
from ai4mlops_lab.runs.spare import SpareWorker

from ..notebooks import tagged_notebook, write_notebook
from .conftest import wait_for

READY_S = 120  # importing kfp (and numpy) on a busy 2-core machine

#: A step that says where its temporary files go, and one reading a package of the test's own.
PROBED = (
    ("import os\nimport numpy as np\nimport spare_probe", ["imports"]),
    ("value = spare_probe.VALUE\nprint('TMPDIR is', os.environ['TMPDIR'])", ["step:probe"]),
    ("print(value)", ["pipeline-metrics"]),
)


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """A package `spare_probe` (VALUE = 1) on the path of the processes started from now on."""
    folder = tmp_path / "site"
    (folder / "spare_probe").mkdir(parents=True)
    (folder / "spare_probe" / "__init__.py").write_text("VALUE = 1\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])))
    return folder / "spare_probe" / "__init__.py"


@pytest.fixture
def spares(service):
    yield service.spares
    service.spares.stop()


def test_the_next_run_goes_to_the_spare_and_another_waits_after_it(service, spares, probe, tmp_path):
    notebook = write_notebook(tmp_path, "probe.ipynb", PROBED)
    service.prepare_local(["numpy", "spare_probe"])
    spare = spares.waiting
    assert spare is not None and spare.ready(READY_S)

    run = wait_for(service, service.start(notebook)["id"])
    assert run["status"] == "succeeded", run["error"]
    assert run["worker_pid"] == spare.process.pid  # the spare ran it
    assert run["metrics"]["value"] == 1.0
    tmp = str(service.run_dir(run["id"]) / "tmp")
    assert f"TMPDIR is {tmp}" in service.logs(run["id"], "probe")  # as a worker started for the run

    spare.process.wait(timeout=30)
    service.refresh(run["id"])  # as the background loop does: the worker is reaped
    following = spares.waiting  # and the next run's spare waits, importing what this run did
    assert following is not None and following is not spare and following.ready(READY_S)


def test_a_run_handed_to_a_spare_still_importing_waits_for_it(service, spares, probe, tmp_path):
    notebook = write_notebook(tmp_path, "probe.ipynb", PROBED)
    service.prepare_local(["numpy", "spare_probe"])
    spare = spares.waiting
    run = wait_for(service, service.start(notebook)["id"])  # at once: the user clicked Run as the panel opened
    assert run["status"] == "succeeded", run["error"]
    assert run["worker_pid"] == spare.process.pid and run["metrics"]["value"] == 1.0


def test_a_package_changed_after_the_spare_imported_it_runs_in_a_fresh_worker(service, spares, probe, tmp_path):
    notebook = write_notebook(tmp_path, "probe.ipynb", PROBED)
    service.prepare_local(["numpy", "spare_probe"])
    assert spares.waiting.ready(READY_S)
    upgraded = probe.with_name("new.py")
    upgraded.write_text("VALUE = 2\n")
    upgraded.replace(probe)  # as pip replaces a package's files

    run = wait_for(service, service.start(notebook)["id"])
    assert run["status"] == "succeeded", run["error"]
    assert run["metrics"]["value"] == 2.0
    assert "packages changed since this worker started" in (service.run_dir(run["id"]) / "worker.log").read_text()


def test_an_idle_spare_exits_and_a_run_then_starts_its_own_worker(service, probe, tmp_path):
    idle = SpareWorker(processes.start_spare_worker([], 0.5))
    assert idle.ready(READY_S)
    assert idle.process.wait(timeout=60) == 0
    service.spares._spare = idle  # the service still holds it: the run must not be handed to it
    run = wait_for(service, service.start(write_notebook(tmp_path, "probe.ipynb", PROBED))["id"])
    assert run["status"] == "succeeded", run["error"]
    assert run["worker_pid"] != idle.process.pid


class TestThePipelinePanel:
    @pytest.fixture
    def jp_server_config(self):
        return {"ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}}, "Ai4MlopsApp": {"spare_worker": True}}

    async def test_analysing_a_notebook_starts_a_spare_with_its_imports(self, jp_fetch, jp_serverapp):
        spares = await analyse(jp_fetch, jp_serverapp)
        try:
            spare = spares.waiting
            assert spare is not None
            assert json.loads(spare.process.args[4]) == ["os", "numpy", "spare_probe"]
        finally:
            spares.stop()


async def test_with_spares_off_analysing_starts_none(jp_fetch, jp_serverapp):
    assert (await analyse(jp_fetch, jp_serverapp)).waiting is None  # the suite's default, as SPARE_WORKER_ENV=0


async def analyse(jp_fetch, jp_serverapp):
    """Analyse PROBED as the pipeline panel does; the server's spares."""
    body = json.dumps({"notebook": tagged_notebook(*PROBED), "name": "probe"})
    await jp_fetch("ai4mlops-lab", "api", "analyze", method="POST", body=body)
    app = next(iter(jp_serverapp.extension_manager.extension_apps["ai4mlops_lab"]))
    return app.workspace.run_service.spares
