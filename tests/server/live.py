"""A real Jupyter server with the extension, in its own process (for what only a separate process shows:
file locks, `kill -9`, the server's own log)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ai4mlops_lab.serving.prediction import DIRECT

#: How long a starting server may take to answer (bounded wait, not a timed assertion).
START_S = 120


class LiveServer:
    """`jupyter server` on 127.0.0.1 with root `root` and command-line `options`; its log goes to
    `root/../server.log`."""

    def __init__(self, root: Path, *options: str):
        self.root = Path(root)
        self.token = secrets.token_hex(16)
        self.log_path = self.root.parent / "server.log"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = self.root.parent / "jupyter-config"
        config.mkdir(exist_ok=True)
        (config / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}}})
        )
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_RUNTIME_DIR": str(config / "runtime"),
            "JUPYTER_DATA_DIR": str(config / "data"),
            "JUPYTER_PLATFORM_DIRS": "1",
        }
        command = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--allow-root",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            *options,
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.root.parent
            )
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ai4mlops-lab/api"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if self.request("GET", "health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"the Jupyter server did not start; its log:\n{self.log()}")

    def request(
        self, method: str, route: str, body: bytes | None = None, headers: dict | None = None, auth: bool = True
    ) -> tuple[int, dict]:
        """One request to the API (with the Jupyter token when `auth`): status and JSON body."""
        headers = {"Content-Type": "application/json", **(headers or {})}
        if auth:
            headers.setdefault("Authorization", f"token {self.token}")
        request = urllib.request.Request(f"{self.url}/{route}", data=body, headers=headers, method=method)
        try:
            with DIRECT.open(request, timeout=30) as answer:
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read()
        return status, json.loads(text) if text else {}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """`kill -9`: no clean shutdown, no checkpoint of the store."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
