"""The workspace builds each service once, from the server's traits or from the CLI's flags and environment."""

import threading

import pytest

from ai4mlops_lab.errors import FieldError
from ai4mlops_lab.workspace import LOG_READ_FETCHERS_ENV, LOG_READ_TIMEOUT_ENV, STORE_FILE, Settings, Workspace

SERVICES = ("run_service", "deployments", "drift_monitor", "event_store", "event_writer")


def assert_built_once(workspace):
    """Each service is one object, shared by the services that use it."""
    for name in SERVICES:
        assert getattr(workspace, name) is getattr(workspace, name)
    monitor = workspace.drift_monitor
    assert monitor.runs is workspace.run_service and monitor.deployments is workspace.deployments
    assert workspace.event_writer.store is workspace.event_store
    assert workspace.deployments.cluster is not None  # KServe deployments are always offered


class TestFromTraits:
    @pytest.fixture
    def jp_server_config(self):
        return {
            "ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}},
            "Ai4MlopsApp": {
                "workspace_dir": "ws",
                "kfp_host": "http://kfp.example:8888",
                "kube_namespace": "team-a",
                "predictor_image": "ghcr.io/x/predictor:1",
                "public_url": "https://jupyter.example.org/",
            },
        }

    async def test_the_server_builds_one_workspace_from_its_traits(self, jp_serverapp, jp_root_dir):
        app = next(iter(jp_serverapp.extension_manager.extension_apps["ai4mlops_lab"]))
        workspace = app.workspace
        assert app.workspace is workspace and workspace.folder == jp_root_dir / "ws"
        assert workspace.store_path == jp_root_dir / "ws" / STORE_FILE and workspace.root == jp_root_dir
        settings = workspace.settings
        assert (settings.kfp_host, settings.kube_namespace, settings.predictor_image) == (
            "http://kfp.example:8888",
            "team-a",
            "ghcr.io/x/predictor:1",
        )
        assert settings.ingest_url == f"{jp_serverapp.connection_url.rstrip('/')}/ai4mlops-lab/api/ingest"
        assert_built_once(workspace)
        local, cluster = workspace.deployments.local, workspace.deployments.cluster
        assert local.request_log["url"] == settings.ingest_url and local.request_log["auth"].startswith("Bearer ")
        assert cluster.namespace == "team-a" and cluster.image == "ghcr.io/x/predictor:1"
        assert cluster.logger_url.startswith("https://jupyter.example.org/ai4mlops-lab/api/ingest?ingest_token=")
        assert workspace.run_service.root == jp_root_dir


def test_the_cli_builds_it_from_flags_and_environment(tmp_path):
    environ = {
        "AI4MLOPS_KUBE_NAMESPACE": "team-b",
        "AI4MLOPS_PREDICTOR_IMAGE": "img:2",
        "AI4MLOPS_PUBLIC_URL": "https://lab.example/",
        "AI4MLOPS_INGEST_URL": "http://127.0.0.1:1/ingest",
    }
    workspace = Workspace.from_environment(tmp_path / ".ai4mlops", environ=environ)
    assert workspace.settings == Settings(
        kube_namespace="team-b",
        predictor_image="img:2",
        public_url="https://lab.example/",
        ingest_url="http://127.0.0.1:1/ingest",
    )
    flagged = Workspace.from_environment(tmp_path / ".ai4mlops", ingest_url="http://127.0.0.1:2/i", environ=environ)
    assert flagged.settings.ingest_url == "http://127.0.0.1:2/i"  # the flag wins
    assert flagged.request_log()["url"] == "http://127.0.0.1:2/i"
    assert not workspace.has_store()
    assert_built_once(workspace)
    assert workspace.has_store() and workspace.deployments.cluster.namespace == "team-b"


def test_with_no_ingest_url_local_model_servers_log_into_the_store(tmp_path):
    workspace = Workspace.from_environment(tmp_path / ".ai4mlops", environ={})
    assert workspace.request_log() == {"store": str(tmp_path / ".ai4mlops" / STORE_FILE), "namespace": "local"}
    assert workspace.deployments.local.request_log == workspace.request_log()
    assert workspace.cluster_ingest_url() is None  # no public URL: KServe deployments are not monitored


def test_threads_asking_together_get_one_service(tmp_path):
    workspace = Workspace(tmp_path / ".ai4mlops")
    start, got = threading.Barrier(8), []

    def ask():
        start.wait()
        got.append((workspace.drift_monitor, workspace.deployments, workspace.run_service))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(services == got[0] for services in got)
    assert all(a is b for services in got for a, b in zip(services, got[0]))


def test_the_object_store_endpoint_setting_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    from_env = Workspace(tmp_path / ".ai4mlops").object_store.settings
    assert (from_env.endpoint_url, from_env.path_style) == ("http://127.0.0.1:1", None)
    configured = Workspace(tmp_path / ".ai4mlops", settings=Settings(s3_endpoint_url="http://127.0.0.1:2"))
    assert configured.object_store.settings.endpoint_url == "http://127.0.0.1:2"


def test_the_bucket_readers_settings_come_from_the_environment_and_are_checked(tmp_path):
    environ = {LOG_READ_FETCHERS_ENV: "2", LOG_READ_TIMEOUT_ENV: "1.5"}
    logs = Workspace.from_environment(tmp_path / "a", environ=environ).bucket_reader
    assert logs.fetchers == 2 and logs.objects.settings.read_timeout_s == 1.5
    assert logs.objects.settings.attempts == 1  # the reader retries, and counts its retries
    with pytest.raises(FieldError) as err:
        Workspace.from_environment(tmp_path / "b", environ={LOG_READ_TIMEOUT_ENV: "soon"})
    assert err.value.field == LOG_READ_TIMEOUT_ENV and "'soon' is not a number" in err.value.message
    with pytest.raises(FieldError) as err:
        Workspace(tmp_path / "c", settings=Settings(log_read_fetchers=0)).bucket_reader  # noqa: B018
    assert err.value.field == "log_read_fetchers"
