"""Contract test of a KServe deployment through the REST API: the InferenceService the server applies
to the strict fake Kubernetes API (official CRD schema), its logger, and its status."""

import asyncio
import json

import pytest

from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from .test_contract_cluster_deploy import NOT_EXPORTED, make_run
from .test_contract_kserve import IMAGE, NS, READY, TOKEN, write_kubeconfig

PUBLIC = "https://jupyter.example.org/lab-base/"


class TestDeployApi:
    @pytest.fixture
    def jp_server_config(self):
        return {
            "ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}},
            "Ai4MlopsApp": {"public_url": PUBLIC, "predictor_image": IMAGE},
        }

    async def test_contract_deploy_to_kserve_through_the_rest_api(
        self, kube, jp_fetch, jp_serverapp, jp_root_dir, tmp_path, monkeypatch
    ):
        kube.token = TOKEN
        monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", kube.url, TOKEN)))
        run_id = make_run(RunStore(jp_root_dir / ".ai4mlops" / STORE_FILE), "iris", "sklearn")

        response = await jp_fetch(
            "ai4mlops-lab",
            "api",
            "deployments",
            method="POST",
            body=json.dumps({"run_id": run_id, "target": "kserve", "name": "iris-rf"}),
        )
        record = json.loads(response.body)
        assert response.code == 201 and record["status"] == "starting" and record["target"] == "kserve"

        applied = kube.objects[(NS, "iris-rf")]
        logger = applied["spec"]["predictor"]["logger"]
        assert logger["mode"] == "all"
        assert logger["url"].startswith(f"{PUBLIC}ai4mlops-lab/api/ingest?ingest_token=")
        assert applied["spec"]["predictor"]["model"]["modelFormat"]["name"] == "sklearn"

        kube.script_status(NS, "iris-rf", [READY])
        # as the server's background loop does (a GET reads the store only)
        await asyncio.to_thread(jp_serverapp.web_app.settings["ai4mlops_lab_app"].workspace.deployments.refresh)
        followed = json.loads((await jp_fetch("ai4mlops-lab", "api", "deployments", "iris-rf")).body)
        assert followed["status"] == "running" and followed["url"] == READY["url"]
        assert followed["runtime"] == {
            "name": "kserve-sklearn",
            "label": "KServe sklearn runtime",
            "protocols": ["v1", "v2"],
            "fallback": None,
        }

        torch_run = make_run(RunStore(jp_root_dir / ".ai4mlops" / STORE_FILE), "digits", "torch", export=NOT_EXPORTED)
        response = await jp_fetch(
            "ai4mlops-lab",
            "api",
            "deployments",
            method="POST",
            body=json.dumps({"run_id": torch_run, "target": "kserve", "name": "digits-net"}),
        )
        runtime = json.loads(response.body)["runtime"]
        assert runtime["name"] == "predictor-image" and runtime["label"] == "ai4mlops predictor image"
        assert runtime["fallback"] == f"No ONNX export of the torch model: {NOT_EXPORTED['error']}"
        assert kube.objects[(NS, "digits-net")]["spec"]["predictor"]["containers"][0]["image"] == IMAGE
