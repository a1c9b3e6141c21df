"""Jupyter server settings for browser tests only.

Galata's helper opens the server without a token and exposes the JupyterLab application
object to the page, which the tests need and no real deployment should ever have.
"""
from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821  (c is the config object jupyter injects)

c.ServerApp.ip = "127.0.0.1"        # loopback only
c.ServerApp.allow_root = True        # CI and sandboxes run as root
c.ServerApp.open_browser = False
c.LabApp.news_url = None             # no calls to the internet
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.ServerApp.log_level = "ERROR"           # keep the test log readable (galata probes missing files)

# Loopback fakes of a Kubernetes cluster with KServe, of Kubeflow Pipelines and of S3 for the specs of KServe
# deployments (ui-tests/fake_cluster.py); without shared/specs or rclone nothing starts and those specs skip.
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fake_cluster  # noqa: E402

fake_cluster.start(c)  # noqa: F821
