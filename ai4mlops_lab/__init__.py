"""ai4mlops-lab: take a Jupyter notebook to Kubeflow Pipelines and KServe, and keep it healthy."""

try:
    from ._version import __version__
except ImportError:  # a source checkout that was never built
    __version__ = "0.0.0.dev0"

NAME = "ai4mlops-lab"


def _jupyter_labextension_paths():
    """Where JupyterLab finds the prebuilt frontend shipped in the wheel."""
    return [{"src": "labextension", "dest": NAME}]


def _jupyter_server_extension_points():
    """The jupyter-server extension entry point."""
    from .server.app import Ai4MlopsApp

    return [{"module": "ai4mlops_lab", "app": Ai4MlopsApp}]
