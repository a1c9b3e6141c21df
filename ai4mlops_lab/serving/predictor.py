"""The KServe predictor of a local deployment: loads a model artifact folder and answers V1 and V2 requests.

Imports kserve, so only the model-server process imports this module.
"""

from __future__ import annotations

import uuid

import numpy
from kserve import InferOutput, InferRequest, InferResponse, Model
from kserve.errors import InvalidInput

from .loaded_model import LoadedModel
from .signature import V2_TYPES, Signature, SignatureError


class Predictor(Model):
    """Serves one torch (eval mode, no_grad), sklearn or xgboost model saved by the pipeline runtime."""

    def __init__(self, name: str, folder: str, metadata: dict):
        super().__init__(name)
        self.folder, self.metadata = folder, metadata
        self.signature = Signature(metadata["model"].get("signature"))
        self.loaded: LoadedModel | None = None

    def load(self) -> bool:
        self.loaded = LoadedModel(self.folder, self.metadata)
        self.ready = True
        return self.ready

    def get_input_types(self) -> list[dict]:
        return self.signature.v2_tensors("inputs")

    def get_output_types(self) -> list[dict]:
        return self.signature.v2_tensors("outputs")

    def predict(self, payload, headers=None):
        """V1 `{instances}` -> `{predictions}`; V2 InferRequest -> InferResponse, always with an id."""
        if isinstance(payload, InferRequest):
            return self._predict_v2(payload)
        if not isinstance(payload, dict) or "instances" not in payload:
            raise InvalidInput(
                f'a V1 request is {{"instances": [...]}}; expected instances: {self.signature.describe()}'
            )
        return {"predictions": self._run(self._checked(payload["instances"])).tolist()}

    def _predict_v2(self, request: InferRequest) -> InferResponse:
        if len(request.inputs) != 1:
            raise InvalidInput(
                f"the model takes 1 input tensor, got {len(request.inputs)}; expected {self.signature.describe()}"
            )
        tensor = request.inputs[0]
        try:
            values = tensor.as_numpy()
        except Exception as err:  # kserve raises ValueError, TypeError or InvalidInput for bad data
            raise InvalidInput(
                f"input {tensor.name!r} does not match its datatype {tensor.datatype} and shape "
                f"{tensor.shape} ({err}); expected {self.signature.describe()}"
            ) from None
        checked = self._checked(values, tensor.datatype)
        try:
            self.signature.check_input_name(tensor.name)
        except SignatureError as err:
            raise InvalidInput(str(err)) from None
        result = self._run(checked)
        name = self.signature.output["name"] if self.signature.output else "output-0"
        output = InferOutput(name, list(result.shape), V2_TYPES.get(result.dtype.name, "BYTES"))
        output.set_data_from_numpy(result, binary_data=False)
        return InferResponse(request.id or uuid.uuid4().hex, self.name, [output])

    def _checked(self, data, datatype: str | None = None) -> numpy.ndarray:
        try:
            return self.signature.array(data, datatype)
        except SignatureError as err:
            raise InvalidInput(str(err)) from None

    def _run(self, values: numpy.ndarray) -> numpy.ndarray:
        return self.loaded.run(values)
