"""`bash .ci/lab` prints a URL that opens the example notebook (not the Launcher): its `jupyter lab` arguments,
started here without the setup step, serve JupyterLab on /lab/tree/torch-train.ipynb and print that URL."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lab_args() -> list[str]:
    """The `lab_args` array of .ci/lab, as bash reads it."""
    line = next(line for line in (ROOT / ".ci/lab").read_text().splitlines() if line.startswith("lab_args=("))
    out = subprocess.run(["bash", "-c", f'{line}; printf "%s\\n" "${{lab_args[@]}}"'], capture_output=True, text=True)
    return out.stdout.split()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_lab_args_name_the_example():
    args = lab_args()
    assert "--ServerApp.root_dir=examples" in args
    assert "--LabApp.default_url=/lab/tree/torch-train.ipynb" in args
    assert (ROOT / "examples/torch-train.ipynb").is_file()
    assert 'exec .venv/bin/jupyter lab "${lab_args[@]}"' in (ROOT / ".ci/lab").read_text()


def test_printed_url_opens_the_example(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "jupyterlab", *lab_args(), f"--port={port}", "--no-browser"]
    command.append("--IdentityProvider.token=t0k")
    if sys.platform != "win32":
        command.append("--allow-root")
    log = tmp_path / "lab.log"
    with log.open("w") as out:
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)}
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        printed = f"http://127.0.0.1:{port}/lab/tree/torch-train.ipynb?token="  # the token itself is masked
        deadline = time.monotonic() + 60
        while printed not in log.read_text():
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        with _answer(f"{printed}t0k", time.monotonic() + 30, log) as response:
            assert response.status == 200
            assert "JupyterLab" in response.read().decode()
        api = f"http://127.0.0.1:{port}/api/contents/torch-train.ipynb?content=0&token=t0k"
        with urllib.request.urlopen(api, timeout=10) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


def _answer(url: str, deadline: float, log):
    """The answer to `url`, retried while the connection is refused (the server is still binding) until `deadline`."""
    while True:
        try:
            return urllib.request.urlopen(url, timeout=10)
        except urllib.error.URLError as failure:
            if not isinstance(failure.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                raise AssertionError(f"{url}: {failure.reason}\n{log.read_text()}") from None
            time.sleep(0.2)
