"""Shared fixtures: a jupyter server with the ai4mlops-lab extension enabled; a real S3 server (`s3server.py`)."""

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.s3server"]


@pytest.fixture
def jp_server_config():
    """Load our server extension in the test server."""
    return {"ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}}}
