"""Contract tests of the KFP run backend against a strict fake of the KFP v2beta1 API (official swagger).

The swagger lives in `<repo>/../shared/specs/`; a user's checkout has no shared/ folder, so
these tests skip there.
"""

import json
import logging
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ai4mlops_lab.errors import NotFoundError, UserError
from ai4mlops_lab.runs.kfp_backend import KfpBackend, map_state, version_name
from ai4mlops_lab.runs.kfp_connection import KfpConnection, KfpSettingsError
from ai4mlops_lab.runs.kfp_errors import KfpAuthError, KfpRequestError, KfpUnreachableError

from .conftest import NO_SA, SPEC

TOKEN = "s3cr3t-token-value-0123456789"
COOKIE = "authservice_session=cookie-secret-abcdef"


@pytest.fixture(scope="module")
def ir_yaml(tmp_path_factory) -> Path:
    """A real KFP IR: two components, pipeline parameters of several types."""
    from kfp import compiler, dsl

    @dsl.component(base_image="python:3.11-slim", install_kfp_package=False)
    def make_text(count: int, word: str) -> str:
        return " ".join([word] * count)

    @dsl.component(base_image="python:3.11-slim", install_kfp_package=False)
    def measure(text: str, scale: float) -> float:
        return len(text) * scale

    @dsl.pipeline(name="tiny-pipeline", description="two steps")
    def tiny(count: int = 2, word: str = "hi", scale: float = 1.0):
        made = make_text(count=count, word=word)
        measure(text=made.output, scale=scale)

    path = tmp_path_factory.mktemp("ir") / "tiny.pipeline.yaml"
    compiler.Compiler().compile(pipeline_func=tiny, package_path=str(path))
    return path


def backend_for(fake, **env) -> KfpBackend:
    env.setdefault("KF_PIPELINES_ENDPOINT", fake.url)
    return KfpBackend(KfpConnection.resolve(env=env, service_account_token=NO_SA), timeout=(2.0, 10.0))


def submit(backend, ir_yaml, **overrides):
    args = dict(
        pipeline_name="tiny",
        parameters={"count": 3, "word": "hey", "scale": 0.5},
        experiment="exp-a",
        run_name="run-1",
        description="from a notebook",
    )
    args.update(overrides)
    return backend.submit(ir_yaml, **args)


def raw_request(fake, method, path, body=None, headers=None):
    """Send a raw request to the fake: (status, JSON answer)."""
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    request = urllib.request.Request(
        fake.url + path, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def multipart(parts: dict) -> tuple[bytes, str]:
    boundary = "----fakeboundary"
    chunks = []
    for name, (filename, content) in parts.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


# ---------------------------------------------------------------------------------------------
# The fake refuses what the spec and the real server refuse
# ---------------------------------------------------------------------------------------------


def test_contract_fake_refuses_unknown_field_and_run_without_display_name(fake):
    spec = {"pipelineInfo": {"name": "x"}}
    status, answer = raw_request(
        fake, "POST", "/apis/v2beta1/runs", {"display_name": "r", "pipeline_spec": spec, "bogus_field": 1}
    )
    assert status == 400 and "bogus_field" in answer["error_message"] and answer["code"] == 3
    status, answer = raw_request(
        fake, "POST", "/apis/v2beta1/runs", {"pipeline_version_reference": {"pipeline_id": "p"}}
    )
    assert status == 400 and "display_name" in answer["error_message"]
    status, answer = raw_request(fake, "POST", "/apis/v2beta1/runs", {"display_name": "r"})
    assert status == 400 and "pipeline_version_reference" in answer["error_message"]
    status, answer = raw_request(
        fake,
        "POST",
        "/apis/v2beta1/runs",
        {
            "display_name": "r",
            "runtime_config": {"parameters": {}, "extra": "x"},
            "pipeline_version_reference": {"pipeline_id": "p"},
        },
    )
    assert status == 400 and "extra" in answer["error_message"]
    status, answer = raw_request(
        fake,
        "POST",
        "/apis/v2beta1/runs",
        {
            "display_name": "r",
            "runtime_config": {"pipeline_root": 5},
            "pipeline_version_reference": {"pipeline_id": "p"},
        },
    )
    assert status == 400 and "expected a string" in answer["error_message"]
    status, answer = raw_request(fake, "POST", "/apis/v2beta1/experiments", {"description": "no name"})
    assert status == 400 and "display_name" in answer["error_message"]
    assert not fake.state.runs and not fake.state.experiments


def test_contract_fake_checks_paths_methods_queries_and_uploads(fake, ir_yaml):
    assert raw_request(fake, "GET", "/apis/v2beta1/nothing")[0] == 404
    assert raw_request(fake, "DELETE", "/apis/v2beta1/healthz")[0] == 405
    assert raw_request(fake, "GET", "/apis/v2beta1/pipelines?page_size=ten")[0] == 400
    assert raw_request(fake, "GET", "/apis/v2beta1/pipelines?colour=blue")[0] == 400
    assert raw_request(fake, "DELETE", "/apis/v2beta1/pipelines/p1?cascade=maybe")[0] == 400
    status, answer = raw_request(
        fake,
        "GET",
        "/apis/v2beta1/experiments?filter="
        + urllib.request.quote(json.dumps({"predicates": [{"operation": "SOMETIMES"}]})),
    )
    assert status == 400 and "SOMETIMES" in answer["error_message"]
    # uploads: a file part is required, and it must be a valid KFP IR
    body, ctype = multipart({"other": ("a.yaml", b"x: 1")})
    assert raw_request(fake, "POST", "/apis/v2beta1/pipelines/upload?name=a", body, {"Content-Type": ctype})[0] == 400
    body, ctype = multipart({"uploadfile": ("a.yaml", b"just: [a, yaml]\n")})
    status, answer = raw_request(fake, "POST", "/apis/v2beta1/pipelines/upload?name=a", body, {"Content-Type": ctype})
    assert status == 400 and "pipeline spec" in answer["error_message"]
    body, ctype = multipart({"uploadfile": ("a.yaml", ir_yaml.read_bytes())})
    assert raw_request(fake, "POST", "/apis/v2beta1/pipelines/upload", body, {"Content-Type": ctype})[0] == 400
    status, answer = raw_request(fake, "POST", "/apis/v2beta1/pipelines/upload?name=a", body, {"Content-Type": ctype})
    assert status == 200 and answer["display_name"] == "a"
    status, _ = raw_request(
        fake, "POST", "/apis/v2beta1/pipelines/upload_version?name=v2", body, {"Content-Type": ctype}
    )
    assert status == 400  # no pipelineid
    assert fake.faults == []


# ---------------------------------------------------------------------------------------------
# submit
# ---------------------------------------------------------------------------------------------


def test_contract_submit_uploads_pipeline_creates_experiment_and_run(fake, ir_yaml):
    result = submit(backend_for(fake), ir_yaml)

    assert set(result) == {"run_id", "pipeline_id", "pipeline_version_id", "experiment_id", "url"}
    assert result["url"] == f"{fake.url}/#/runs/details/{result['run_id']}"
    assert [p["display_name"] for p in fake.state.pipelines.values()] == ["tiny"]
    assert list(fake.state.versions) == [result["pipeline_version_id"]]
    assert [e["display_name"] for e in fake.state.experiments.values()] == ["exp-a"]
    (create,) = fake.find("RunService_CreateRun")
    assert create.body["display_name"] == "run-1"
    assert create.body["experiment_id"] == result["experiment_id"]
    assert create.body["runtime_config"]["parameters"] == {"count": 3, "word": "hey", "scale": 0.5}
    assert create.body["pipeline_version_reference"] == {
        "pipeline_id": result["pipeline_id"],
        "pipeline_version_id": result["pipeline_version_id"],
    }
    assert "pipeline_spec" not in create.body
    (upload,) = fake.find("UploadPipeline")
    assert upload.query["name"] == "tiny" and upload.query["description"] == "from a notebook"
    assert upload.upload["filename"] == ir_yaml.name and upload.upload["size"] == ir_yaml.stat().st_size
    assert fake.calls() == [
        "HealthzService_GetHealthz",
        "PipelineService_ListPipelines",
        "UploadPipeline",
        "PipelineService_ListPipelineVersions",
        "ExperimentService_ListExperiments",
        "ExperimentService_CreateExperiment",
        "RunService_CreateRun",
    ]
    assert all(r.status == 200 for r in fake.requests)


def test_contract_submit_same_name_uploads_new_version_not_new_pipeline(fake, ir_yaml):
    backend = backend_for(fake)
    first = submit(backend, ir_yaml)
    second = submit(backend, ir_yaml, run_name="run-2", parameters={"count": 1})

    assert len(fake.state.pipelines) == 1 and second["pipeline_id"] == first["pipeline_id"]
    assert second["pipeline_version_id"] != first["pipeline_version_id"] and len(fake.state.versions) == 2
    assert second["experiment_id"] == first["experiment_id"] and len(fake.state.experiments) == 1
    (upload_version,) = fake.find("UploadPipelineVersion")
    assert upload_version.query["pipelineid"] == first["pipeline_id"]
    assert upload_version.query["name"].startswith("tiny-")
    last_run = fake.find("RunService_CreateRun")[-1].body
    assert last_run["pipeline_version_reference"]["pipeline_version_id"] == second["pipeline_version_id"]
    assert last_run["runtime_config"]["parameters"] == {"count": 1}
    assert len(fake.find("UploadPipeline")) == 1
    assert len(fake.find("ExperimentService_CreateExperiment")) == 1


def test_contract_version_names_are_unique():
    import datetime as dt

    when = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    name = version_name("tiny", b"a: 1", when)
    assert name.startswith("tiny-20260102-030405-678901-") and len(name.rsplit("-", 1)[1]) == 8
    assert version_name("tiny", b"a: 2", when) != name
    assert version_name("tiny", b"a: 1") != version_name("tiny", b"a: 1", when)


def test_contract_submit_refused_parameters_is_user_error(fake, ir_yaml):
    with pytest.raises(KfpRequestError) as caught:
        submit(backend_for(fake), ir_yaml, parameters={"cuont": 3})
    assert "cuont" in caught.value.message and caught.value.hint
    with pytest.raises(KfpRequestError) as caught:
        submit(backend_for(fake), ir_yaml, parameters={"count": "three"})
    assert "NUMBER_INTEGER" in caught.value.message
    assert not fake.state.runs


def test_contract_submit_checks_its_inputs(fake, tmp_path, ir_yaml):
    backend = backend_for(fake)
    with pytest.raises(UserError):
        submit(backend, tmp_path / "missing.pipeline.yaml")
    with pytest.raises(UserError):
        submit(backend, ir_yaml, run_name=" ")
    assert fake.requests == []


# ---------------------------------------------------------------------------------------------
# status and cancel
# ---------------------------------------------------------------------------------------------


def test_contract_status_follows_scripted_progression(fake, ir_yaml):
    task = fake.task
    fake.script_next_run(
        [
            {"state": "PENDING"},
            {
                "state": "RUNNING",
                "run_details": {
                    "task_details": [
                        task("root", "RUNNING"),
                        task("make-text", "RUNNING"),
                        task("make-text-driver", "SUCCEEDED"),
                        task("measure", "PENDING", started=False),
                    ]
                },
            },
            {
                "state": "FAILED",
                "error": {"code": 2, "message": "measure failed"},
                "run_details": {
                    "task_details": [
                        task("make-text", "SUCCEEDED", finished=True),
                        task("measure", "FAILED", finished=True, error="ZeroDivisionError: division by zero"),
                    ]
                },
            },
        ]
    )
    backend = backend_for(fake)
    run_id = submit(backend, ir_yaml)["run_id"]

    first = backend.status(run_id)
    assert first["state"] == "pending" and first["steps"] == [] and first["error"] == ""
    second = backend.status(run_id)
    assert second["state"] == "running"
    assert [(s["name"], s["state"]) for s in second["steps"]] == [("make-text", "running"), ("measure", "pending")]
    assert second["steps"][0]["started_at"] and second["steps"][1]["started_at"] is None
    third = backend.status(run_id)
    assert third["state"] == "failed" and third["kfp_state"] == "FAILED" and third["error"] == "measure failed"
    assert third["finished_at"]
    assert [(s["name"], s["state"], s["error"]) for s in third["steps"]] == [
        ("make-text", "succeeded", ""),
        ("measure", "failed", "ZeroDivisionError: division by zero"),
    ]
    assert all(s["finished_at"] for s in third["steps"])
    only = backend.status(run_id, step_names=["measure", "nope"])
    assert [s["name"] for s in only["steps"]] == ["measure"]
    assert fake.calls()[-4:] == ["RunService_GetRun"] * 4


def test_contract_every_runtime_state_maps(fake, ir_yaml):
    expected = {
        "RUNTIME_STATE_UNSPECIFIED": "pending",
        "PENDING": "pending",
        "PAUSED": "pending",
        "RUNNING": "running",
        "CANCELING": "running",
        "SUCCEEDED": "succeeded",
        "SKIPPED": "succeeded",
        "FAILED": "failed",
        "CANCELED": "cancelled",
    }
    spec_states = json.loads(SPEC.read_text())["definitions"]["v2beta1RuntimeState"]["enum"]
    assert sorted(spec_states) == sorted(expected)
    fake.script_next_run(
        [{"state": s, "run_details": {"task_details": [fake.task("make-text", s)]}} for s in spec_states]
        + [{"state": "SUCCEEDED"}]
    )
    backend = backend_for(fake)
    run_id = submit(backend, ir_yaml)["run_id"]
    for kfp_state in spec_states:
        seen = backend.status(run_id)
        assert (seen["kfp_state"], seen["state"]) == (kfp_state, expected[kfp_state])
        assert seen["steps"][0]["state"] == expected[kfp_state]
    assert map_state(None) == "pending" and map_state("whatever") == "pending"


def test_contract_fake_checks_its_own_responses(fake, ir_yaml):
    fake.script_next_run([{"state": "DONE"}])  # not a v2beta1RuntimeState
    backend = backend_for(fake)
    run_id = submit(backend, ir_yaml)["run_id"]
    with pytest.raises(KfpRequestError) as caught:
        backend.status(run_id)
    assert caught.value.status == 502 and "DONE" in caught.value.message
    assert fake.faults and "DONE" in fake.faults[0]
    fake.faults.clear()


def test_contract_cancel_calls_terminate(fake, ir_yaml):
    fake.script_next_run([{"state": "RUNNING"}])
    backend = backend_for(fake)
    run_id = submit(backend, ir_yaml)["run_id"]
    assert backend.status(run_id)["state"] == "running"
    backend.cancel(run_id)
    (terminate,) = fake.find("RunService_TerminateRun")
    assert terminate.method == "POST" and terminate.path == f"/apis/v2beta1/runs/{run_id}:terminate"
    assert backend.status(run_id)["state"] == "cancelled"
    with pytest.raises(NotFoundError):
        backend.cancel("no-such-run")


# ---------------------------------------------------------------------------------------------
# connection settings and auth
# ---------------------------------------------------------------------------------------------


def test_contract_token_from_env_is_sent_as_bearer(fake, ir_yaml):
    fake.require_bearer(TOKEN)
    backend = backend_for(fake, KF_PIPELINES_TOKEN=TOKEN)
    assert backend.connection.describe()["auth"] == "token-env"
    submit(backend, ir_yaml)
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" and r.status == 200 for r in fake.requests)


def test_contract_token_from_file_and_service_account(fake, ir_yaml, tmp_path):
    fake.require_bearer(TOKEN)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    backend = backend_for(fake, KF_PIPELINES_TOKEN_FILE=str(token_file))
    assert backend.connection.describe() == {
        "host": fake.url,
        "namespace": "",
        "auth": "token-file",
        "token_source": str(token_file),
        "cookie": False,
        "ssl_ca_cert": "",
        "verify": True,
        "ui_host": "",
    }
    submit(backend, ir_yaml)
    conn = KfpConnection.resolve(fake.url, env={}, service_account_token=str(token_file))
    assert conn.auth == "service-account" and conn.token == TOKEN
    assert KfpBackend(conn).status(next(iter(fake.state.runs)))["state"] == "pending"
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in fake.requests)


def test_contract_cookie_header_sent(fake, ir_yaml):
    fake.require_cookie(COOKIE)
    backend = backend_for(fake, KF_PIPELINES_COOKIE=COOKIE)
    assert backend.connection.auth == "cookie"
    submit(backend, ir_yaml)
    assert all(COOKIE in r.headers["cookie"] and "authorization" not in r.headers for r in fake.requests)


def test_contract_unauthorized_is_user_error_with_hint(fake, ir_yaml, tmp_path):
    fake.require_bearer(TOKEN)
    token_file = tmp_path / "token"
    token_file.write_text("wrong-token")
    start = time.monotonic()
    with pytest.raises(KfpAuthError) as caught:
        submit(backend_for(fake, KF_PIPELINES_TOKEN_FILE=str(token_file)), ir_yaml)
    assert time.monotonic() - start < 5  # kfp's health check would otherwise retry with 5 s sleeps
    assert caught.value.message.startswith("401 from the KFP server")
    assert "KF_PIPELINES_TOKEN_FILE" in caught.value.hint and str(token_file) in caught.value.hint
    assert "wrong-token" not in caught.value.message + caught.value.hint
    with pytest.raises(KfpAuthError) as caught:
        submit(backend_for(fake), ir_yaml)
    assert "KF_PIPELINES_TOKEN" in caught.value.hint
    assert [r.status for r in fake.requests] == [401, 401]


@pytest.mark.parametrize("refusal", [403, 302])
def test_contract_forbidden_and_login_redirect_are_user_errors(fake, ir_yaml, refusal):
    fake.require_cookie(COOKIE)
    fake.refusal_status = refusal
    with pytest.raises(KfpAuthError) as caught:
        backend_for(fake, KF_PIPELINES_NAMESPACE="team-a", KF_PIPELINES_COOKIE="authservice_session=old").status("r1")
    assert str(refusal) in caught.value.message and caught.value.hint
    if refusal == 403:
        assert "team-a" in caught.value.message
    else:
        assert "login page" in caught.value.message and "KF_PIPELINES_COOKIE" in caught.value.hint
    assert "authservice_session=old" not in caught.value.message + caught.value.hint


def test_contract_slow_server_times_out_quickly(fake, ir_yaml):
    backend = KfpBackend(KfpConnection.resolve(fake.url, env={}, service_account_token=NO_SA), timeout=(1.0, 0.5))
    fake.stall("RunService_GetRun", 2.0)
    start = time.monotonic()
    with pytest.raises(KfpUnreachableError) as caught:
        backend.status("any-run")
    assert time.monotonic() - start < 1.8
    assert "timed out" in caught.value.message
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        host = f"http://127.0.0.1:{silent.getsockname()[1]}"
        start = time.monotonic()
        with pytest.raises(KfpUnreachableError):
            KfpBackend(KfpConnection.resolve(host, env={}, service_account_token=NO_SA), timeout=(1.0, 0.5)).status("r")
        assert time.monotonic() - start < 1.8


def test_contract_unreachable_host_is_quick_user_error(ir_yaml):
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = KfpBackend(
        KfpConnection.resolve(f"http://127.0.0.1:{port}", env={}, service_account_token=NO_SA), timeout=(1.0, 2.0)
    )
    start = time.monotonic()
    with pytest.raises(KfpUnreachableError) as caught:
        submit(backend, ir_yaml)
    assert time.monotonic() - start < 5
    assert "KFP host unreachable" in caught.value.message and "KF_PIPELINES_ENDPOINT" in caught.value.hint


def test_contract_connection_settings(tmp_path):
    with pytest.raises(KfpSettingsError) as caught:
        KfpConnection.resolve(env={}, service_account_token=NO_SA)
    assert "KF_PIPELINES_ENDPOINT" in caught.value.hint
    with pytest.raises(KfpSettingsError):
        KfpConnection.resolve("kfp.example.com", env={})
    with pytest.raises(KfpSettingsError) as caught:
        KfpConnection.resolve("http://h", env={"KF_PIPELINES_TOKEN_FILE": str(tmp_path / "none")})
    assert "none" in caught.value.message
    conn = KfpConnection.resolve(
        "",
        "team-a",
        env={
            "KF_PIPELINES_ENDPOINT": "https://kfp.example.com/pipeline/",
            "KF_PIPELINES_TOKEN": TOKEN,
            "KF_PIPELINES_COOKIE": COOKIE,
        },
        service_account_token=NO_SA,
    )
    assert conn.host == "https://kfp.example.com/pipeline" and conn.namespace == "team-a"
    assert TOKEN not in repr(conn) and "cookie-secret" not in repr(conn)
    assert TOKEN not in json.dumps(conn.describe()) and "cookie-secret" not in json.dumps(conn.describe())
    explicit = KfpConnection.resolve("http://a", env={"KF_PIPELINES_ENDPOINT": "http://b"}, service_account_token=NO_SA)
    assert explicit.host == "http://a" and explicit.auth == "none"


def test_contract_tls_settings_reach_the_kfp_client(fake, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    conn = KfpConnection.resolve(
        fake.url,
        env={"KF_PIPELINES_SSL_CA_CERT": str(ca), "KF_PIPELINES_VERIFY_SSL": "false"},
        service_account_token=NO_SA,
    )
    assert conn.ssl_ca_cert == str(ca) and conn.verify is False
    config = KfpBackend(conn)._get_client()._existing_config
    assert config.ssl_ca_cert == str(ca) and config.verify_ssl is False
    with pytest.raises(KfpSettingsError):
        KfpConnection.resolve(fake.url, env={"KF_PIPELINES_SSL_CA_CERT": str(tmp_path / "missing.pem")})


def test_contract_namespace_is_sent(fake, ir_yaml):
    backend = backend_for(fake, KF_PIPELINES_NAMESPACE="team-a")
    submit(backend, ir_yaml)
    assert fake.find("UploadPipeline")[0].query["namespace"] == "team-a"
    assert fake.find("ExperimentService_CreateExperiment")[0].body["namespace"] == "team-a"
    assert fake.find("PipelineService_ListPipelines")[0].query["namespace"] == "team-a"
    submit(backend, ir_yaml)
    assert len(fake.state.pipelines) == 1 and len(fake.state.versions) == 2


def test_contract_no_secret_in_logs(fake, ir_yaml, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    fake.require_bearer(TOKEN)
    backend = backend_for(fake, KF_PIPELINES_TOKEN=TOKEN, KF_PIPELINES_COOKIE=COOKIE)
    run_id = submit(backend, ir_yaml)["run_id"]
    backend.status(run_id)
    backend.cancel(run_id)
    with pytest.raises(KfpAuthError):
        backend_for(fake, KF_PIPELINES_TOKEN="other-" + TOKEN).status(run_id)
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records, "expected some log output at DEBUG"
    assert TOKEN not in text and "cookie-secret" not in text
