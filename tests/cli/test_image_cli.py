"""`ai4mlops image` (issue 18): build files, the build through docker or podman (a fake one here, recording its
argv), the printed commands without one, the image recorded in the notebook, and edited files kept."""

import json
import os
import stat
import sys
from pathlib import Path

import pytest
import yaml

from ai4mlops_lab.cli.main import main

from ..notebooks import TWO_STEPS, UNDEFINED_NAME, write_notebook

REPOSITORY = "registry.example.org/team/demo"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A notebook in the current folder, and a PATH with no container tool but the fakes a test adds."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    return write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)


def _fake_tool(folder: Path, name: str, exit_code: int = 0) -> Path:
    """A `docker`/`podman` that appends its argv (one JSON list a line) to calls.jsonl and exits `exit_code`."""
    log = folder / "calls.jsonl"
    tool = folder / "bin" / name
    tool.write_text(
        "#!/bin/sh\n"
        f"{sys.executable} -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \"$@\" >> {log}\n"
        f"exit {exit_code}\n"
    )
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return log


def _recorded(notebook: Path) -> dict | None:
    return json.loads(notebook.read_text())["metadata"].get("ai4mlops_lab", {}).get("step_image")


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_docker_builds_and_pushes_the_image_which_the_notebook_then_records(project, tmp_path, capsys):
    log = _fake_tool(tmp_path, "docker")
    assert main(["image", str(project), "-r", REPOSITORY, "--push"]) == 0
    recorded = _recorded(project)
    image, folder = recorded["image"], tmp_path / "demo-image"
    assert image.startswith(f"{REPOSITORY}:")
    assert _calls(log) == [["build", "-t", image, str(folder)], ["push", image]]
    requirements = (folder / "requirements.txt").read_text().splitlines()[1:]
    assert requirements == recorded["packages"] and any(p.startswith("numpy==") for p in requirements)
    assert "COPY requirements.txt" in (folder / "Dockerfile").read_text()
    assert f"built {image} and pushed it" in capsys.readouterr().out


def test_podman_is_used_when_there_is_no_docker_and_a_build_alone_says_how_to_push(project, tmp_path, capsys):
    log = _fake_tool(tmp_path, "podman")
    assert main(["image", str(project)]) == 0
    image = _recorded(project)["image"]
    assert image.startswith("demo-steps:") and _calls(log) == [["build", "-t", image, str(tmp_path / "demo-image")]]
    assert f"podman push {image}" in capsys.readouterr().out


def test_without_a_container_tool_the_exact_commands_are_printed(project, tmp_path, capsys):
    assert main(["image", str(project), "-r", REPOSITORY, "-o", "build/img"]) == 0
    image = _recorded(project)["image"]
    out = capsys.readouterr().out
    folder = tmp_path / "build" / "img"
    assert f"  docker build -t {image} {folder}\n  docker push {image}\n" in out
    assert (folder / "Dockerfile").is_file() and (folder / "requirements.txt").is_file()


def test_then_the_compiled_steps_run_in_the_image_and_install_nothing(project, tmp_path):
    assert main(["image", str(project), "-r", REPOSITORY]) == 0
    assert main(["compile", str(project), "-o", "out"]) == 0
    spec = yaml.safe_load((tmp_path / "out" / "demo.pipeline.yaml").read_text())
    containers = [e["container"] for e in spec["deploymentSpec"]["executors"].values()]
    assert len(containers) == 2
    for container in containers:
        assert container["image"] == _recorded(project)["image"] and "pip" not in " ".join(container["command"][:3])


def test_a_failed_build_records_nothing(project, tmp_path, capsys):
    _fake_tool(tmp_path, "docker", exit_code=1)
    assert main(["image", str(project)]) == 2
    assert "failed with exit status 1" in capsys.readouterr().err
    assert _recorded(project) is None


def test_an_edited_dockerfile_is_kept_unless_overwrite(project, tmp_path, capsys):
    assert main(["image", str(project), "--print-only"]) == 0
    dockerfile = tmp_path / "demo-image" / "Dockerfile"
    generated = dockerfile.read_text()
    dockerfile.write_text(generated + "RUN apt-get install -y graphviz\n")
    before = project.read_text()
    capsys.readouterr()
    assert main(["image", str(project), "-r", REPOSITORY, "--print-only"]) == 2
    err = capsys.readouterr().err
    assert str(dockerfile) in err and "edited" in err and "--overwrite" in err
    assert "graphviz" in dockerfile.read_text() and project.read_text() == before
    assert main(["image", str(project), "-r", REPOSITORY, "--print-only", "--overwrite"]) == 0
    assert "graphviz" not in dockerfile.read_text() and _recorded(project)["image"].startswith(REPOSITORY)


def test_unedited_files_are_regenerated_and_the_notebook_keeps_its_mode(project, tmp_path):
    os.chmod(project, 0o644)
    assert main(["image", str(project), "--print-only"]) == 0
    assert main(["image", str(project), "-r", REPOSITORY, "--print-only"]) == 0
    assert _recorded(project)["image"].startswith(REPOSITORY) and stat.S_IMODE(project.stat().st_mode) == 0o644


def test_an_output_folder_outside_the_current_one_is_refused(project, tmp_path, capsys):
    assert main(["image", str(project), "-o", "../elsewhere"]) == 2
    assert "leads outside" in capsys.readouterr().err
    assert not (tmp_path.parent / "elsewhere").exists() and _recorded(project) is None


def test_a_bad_repository_and_a_notebook_with_errors_are_clear_errors(project, tmp_path, capsys):
    assert main(["image", str(project), "-r", "Bad Name"]) == 2
    assert "'Bad Name' is not a valid image name" in capsys.readouterr().err
    broken = write_notebook(tmp_path, "broken.ipynb", UNDEFINED_NAME)
    assert main(["image", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "cell 1, line 1: error:" in err and "has errors" in err
    assert not (tmp_path / "broken-image").exists()
