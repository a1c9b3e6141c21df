"""A model artifact folder loaded for prediction in this process: the local model server's predictor and batch
prediction both run models through here (torch in eval mode under no_grad; sklearn or xgboost `predict`).

Imports no kserve: the torch (or sklearn) import happens when a model of that framework is loaded.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from ..pipeline.runtime import load_artifact
from .signature import Signature


class LoadedModel:
    """The model saved in `folder` (the pipeline runtime's artifact `metadata`), with its input `signature`."""

    def __init__(self, folder: str, metadata: dict):
        self.folder, self.metadata = str(folder), metadata
        self.signature = Signature(metadata["model"].get("signature"))
        self.model = load_artifact(SimpleNamespace(path=self.folder, metadata=metadata))
        self._torch = None
        if metadata["model"]["framework"] == "torch":
            import torch

            self._torch = torch
            self.model.eval()

    def run(self, values: numpy.ndarray) -> numpy.ndarray:
        """The model's output for checked input rows (see `Signature.array`), as an array."""
        if self._torch is not None:
            with self._torch.no_grad():
                return self.model(self._torch.from_numpy(numpy.ascontiguousarray(values))).cpu().numpy()
        return numpy.asarray(self.model.predict(values))
