"""Contract test of `ai4mlops deploy RUN --target kserve`: the CLI's workspace has the cluster target (it
once had only the local one), applies a valid InferenceService to the strict fake Kubernetes API and follows it."""

import json

from ai4mlops_lab.cli.main import main
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from .test_contract_cluster_deploy import EXPORTED, make_run
from .test_contract_kserve import NS, READY, TOKEN, write_kubeconfig

PUBLIC = "https://jupyter.example.org/"


def test_contract_deploy_to_kserve_through_the_cli(kube, tmp_path, monkeypatch, capsys):
    kube.token = TOKEN
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", kube.url, TOKEN)))
    monkeypatch.setenv("AI4MLOPS_PUBLIC_URL", PUBLIC)
    workspace = tmp_path / ".ai4mlops"
    run_id = make_run(RunStore(workspace / STORE_FILE), "iris", "sklearn")

    assert main(["deploy", run_id, "--target", "kserve", "--name", "iris-rf", "--workspace", str(workspace)]) == 0
    assert "Deployment 'iris-rf' is starting" in capsys.readouterr().out
    applied = kube.objects[(NS, "iris-rf")]
    assert applied["spec"]["predictor"]["model"]["modelFormat"]["name"] == "sklearn"
    assert applied["spec"]["predictor"]["logger"]["url"].startswith(f"{PUBLIC}ai4mlops-lab/api/ingest?ingest_token=")

    kube.script_status(NS, "iris-rf", [READY])
    assert main(["deployments", "--json", "--workspace", str(workspace)]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["name"] == "iris-rf" and listed["target"] == "kserve" and listed["status"] == "running"

    assert listed["runtime"]["label"] == "KServe sklearn runtime"

    torch_run = make_run(RunStore(workspace / STORE_FILE), "digits", "torch", export=EXPORTED)
    assert main(["deploy", torch_run, "--target", "kserve", "--name", "net", "--workspace", str(workspace)]) == 0
    assert "Deployment 'net' is starting, served by the KServe Triton runtime (ONNX)\n" in capsys.readouterr().out
    assert kube.objects[(NS, "net")]["spec"]["predictor"]["model"]["modelFormat"] == {"name": "onnx"}
    kube.script_status(NS, "net", [READY])
    assert main(["deployments", "--workspace", str(workspace)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("net  running  kserve") and "KServe Triton runtime (ONNX)" in line for line in lines)

    assert main(["undeploy", "iris-rf", "--workspace", str(workspace)]) == 0
    assert (NS, "iris-rf") not in kube.objects


def test_without_a_cluster_the_cli_says_what_kserve_needs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing-kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    workspace = tmp_path / ".ai4mlops"
    run_id = make_run(RunStore(workspace / STORE_FILE), "iris", "sklearn")
    assert main(["deploy", run_id, "--target", "kserve", "--workspace", str(workspace)]) == 2
    err = capsys.readouterr().err
    assert "\nerror: KUBECONFIG" in err and "\nhint: " in err and "Traceback" not in err
