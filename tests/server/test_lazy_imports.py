"""Starting the server extension must not import kfp, kserve or torch (slow, and kserve parses argv)."""

import json
import subprocess
import sys

HEAVY = ("kfp", "kserve", "torch")

START_SERVER = """
import json, sys
from jupyter_server.serverapp import ServerApp
app = ServerApp()
app.initialize(argv=["--ServerApp.jpserver_extensions={'ai4mlops_lab': True}",
                     "--ServerApp.open_browser=False", "--ServerApp.port=0",
                     "--ServerApp.ip=127.0.0.1", "--ServerApp.allow_root=True",
                     "--ServerApp.root_dir=%s"])
loaded = app.extension_manager.extensions["ai4mlops_lab"].enabled
print(json.dumps({"loaded": loaded, "heavy": sorted(m for m in %r if m in sys.modules)}))
"""


def test_server_start_imports_no_heavy_module(tmp_path):
    code = START_SERVER % (tmp_path, HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["loaded"] is True
    assert facts["heavy"] == []
