"""The model registry: registered models, their immutable versions, aliases that move between versions (every move
recorded), registration from a run's model. `backend.py` is the interface; `embedded.py` the implementation kept in
the workspace's store, `kubeflow.py` the one over a Kubeflow Model Registry (`kubeflow_api.py`: its REST API);
`registration.py` what registering records, for both; `names.py` the rules for names, aliases and version
references; `deploy.py` serves a version through the deployments service."""

from .backend import RegistryBackend
from .embedded import EmbeddedRegistry

__all__ = ["EmbeddedRegistry", "RegistryBackend"]
