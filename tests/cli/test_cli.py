"""The `ai4mlops` console script: --version and doctor."""

import json
import subprocess
import sys

import ai4mlops_lab
from ai4mlops_lab.cli.main import main


def test_version_flag(capsys):
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code == 0
    assert capsys.readouterr().out.strip() == f"ai4mlops-lab {ai4mlops_lab.__version__}"


def test_doctor_json_matches_health_facts_and_names_cluster_gaps(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("KF_PIPELINES_ENDPOINT", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["versions"]["kfp"]
    assert report["kfp_host_configured"] is False
    assert any("KF_PIPELINES_ENDPOINT" in gap for gap in report["cluster_gaps"])
    assert any("Kubernetes credentials" in gap for gap in report["cluster_gaps"])


def test_doctor_with_cluster_configured_has_fewer_gaps(capsys, monkeypatch, tmp_path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\n")
    monkeypatch.setenv("KF_PIPELINES_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kfp_host_configured"] is True
    assert report["kubeconfig_found"] is True
    assert not any("KF_PIPELINES_ENDPOINT" in gap for gap in report["cluster_gaps"])


def test_console_script_is_installed_and_prints_text_report():
    done = subprocess.run([sys.executable, "-m", "ai4mlops_lab.cli", "doctor"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.startswith(f"ai4mlops-lab {ai4mlops_lab.__version__}")
    assert "Local backends" in done.stdout


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: ai4mlops" in capsys.readouterr().out
