"""Shared fixtures: a jupyter server with the ai4mlops-lab extension enabled; a real S3 server (`s3server.py`)."""

import os

import pytest

from ai4mlops_lab.runs.spare import SPARE_WORKER_ENV

# Spare workers import a run's libraries ahead of it, in the background: the suite's CPU is better spent on its
# tests (tests/runs/test_spare.py turns them on).
os.environ.setdefault(SPARE_WORKER_ENV, "0")

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.s3server"]


@pytest.fixture
def jp_server_config():
    """Load our server extension in the test server."""
    return {"ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}}}
