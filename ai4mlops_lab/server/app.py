"""The jupyter-server extension: configuration traits and route registration."""

from __future__ import annotations

from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Unicode

from .. import NAME
from .routes import api_routes


class Ai4MlopsApp(ExtensionApp):
    """Serves the ai4mlops-lab REST API under `/ai4mlops-lab/api/`."""

    name = "ai4mlops_lab"
    load_other_extensions = True

    workspace_dir = Unicode(
        ".ai4mlops",
        config=True,
        help="Folder for the store, run roots and deployments; relative paths are under the server root.",
    )
    kfp_host = Unicode(
        "",
        config=True,
        help="Kubeflow Pipelines API server URL; empty uses $KF_PIPELINES_ENDPOINT, else local runs only.",
    )

    def workspace_path(self) -> Path:
        """The absolute workspace folder (not created here: the store creates it when first used)."""
        path = Path(self.workspace_dir).expanduser()
        if not path.is_absolute():
            path = Path(self.serverapp.root_dir) / path
        return path

    def initialize_settings(self):
        """Expose this app to the handlers."""
        self.settings[f"{self.name}_app"] = self

    def initialize_handlers(self):
        """Register every API route under the extension's URL prefix."""
        self.handlers.extend(api_routes(f"/{NAME}/api"))
