"""A model's input signature (from its artifact metadata): check request tensors against it, describe it."""

from __future__ import annotations

import numpy

# numpy dtype name -> Open Inference Protocol (V2) datatype
V2_TYPES = {
    "bool": "BOOL",
    "uint8": "UINT8",
    "uint16": "UINT16",
    "uint32": "UINT32",
    "uint64": "UINT64",
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "float16": "FP16",
    "float32": "FP32",
    "float64": "FP64",
}


class SignatureError(ValueError):
    """A request's input does not fit the model's signature; the message says what was expected."""


class Signature:
    """The input and output tensors a model takes and gives: `{inputs: [{name, dtype, shape, features}], outputs}`."""

    def __init__(self, spec: dict | None):
        if spec:  # KFP keeps metadata numbers as floats
            spec = {
                which: [{**t, "shape": [int(n) for n in t["shape"]]} for t in spec[which]]
                for which in ("inputs", "outputs")
            }
        self.spec = spec
        self.input = spec["inputs"][0] if spec else None
        self.output = spec["outputs"][0] if spec and spec["outputs"] else None

    def describe(self) -> str:
        """The expected input, e.g. `float32 (V2 FP32) of shape [-1, 10], features f0..f9`."""
        if self.input is None:
            return "any numeric array (the model has no recorded signature)"
        features = self.input.get("features") or []
        names = (
            f", features {', '.join(features)}"
            if 0 < len(features) <= 12
            else (f", features {features[0]}..{features[-1]}" if features else "")
        )
        dtype = self.input["dtype"]
        return f"{dtype} (V2 {V2_TYPES.get(dtype, dtype)}) of shape {self.input['shape']}{names}"

    def v2_tensors(self, which: str) -> list[dict]:
        """The V2 model metadata `inputs` or `outputs`: `[{name, datatype, shape}]`."""
        if not self.spec:
            return []
        return [
            {"name": t["name"], "datatype": V2_TYPES.get(t["dtype"], t["dtype"].upper()), "shape": t["shape"]}
            for t in self.spec[which]
        ]

    def array(self, data, datatype: str | None = None) -> numpy.ndarray:
        """`data` (nested lists or an array) as an array of the signature's dtype and shape.

        `datatype` is the V2 datatype the request declared; it must be the signature's. Raises SignatureError.
        """
        expected = self.describe()
        if self.input is not None and datatype is not None and datatype != V2_TYPES.get(self.input["dtype"]):
            raise SignatureError(f"input datatype {datatype} does not match the model; expected {expected}")
        try:
            values = numpy.asarray(data)
        except (ValueError, TypeError) as err:
            raise SignatureError(f"input is not a rectangular array ({err}); expected {expected}") from None
        if values.dtype.kind not in "iuf" or (values.dtype.kind in "iu" and _holds_bool(data)):
            held = {"U": "strings"}.get(
                values.dtype.kind, "booleans" if values.dtype.kind in "biu" else values.dtype.name
            )
            raise SignatureError(f"input holds {held}, not numbers; expected {expected}")
        if self.input is None:
            return _finite(values, expected)
        shape = self.input["shape"]
        if values.ndim != len(shape) or any(want not in (-1, got) for want, got in zip(shape, values.shape)):
            raise SignatureError(f"input has shape {list(values.shape)}; expected {expected}")
        dtype = numpy.dtype(self.input["dtype"])
        if dtype.kind in "iu" and values.dtype.kind == "f" and not numpy.all(numpy.mod(values, 1) == 0):
            raise SignatureError(f"input holds fractions; expected {expected}")
        return _finite(values.astype(dtype, copy=False), expected)

    def check_input_name(self, name: str) -> None:
        """A V2 request's input tensor must carry the signature's input name."""
        if self.input is not None and name != self.input["name"]:
            raise SignatureError(
                f"input tensor {name!r} is not the model's; expected {self.input['name']!r}: {self.describe()}"
            )


def _finite(values: numpy.ndarray, expected: str) -> numpy.ndarray:
    """`values`, refused when a float holds NaN or an infinity (also a number beyond the dtype's range)."""
    if values.dtype.kind == "f" and not numpy.isfinite(values).all():
        raise SignatureError(
            f"input holds NaN, infinity or a number beyond the range of {values.dtype.name}; expected {expected}"
        )
    return values


def _holds_bool(data) -> bool:
    """Whether nested lists hold a JSON boolean (numpy reads `[true, 1]` as the integers 1, 1)."""
    if not isinstance(data, list):
        return False
    pending = [data]
    while pending:
        items = pending.pop()
        for item in items:
            if type(item) is bool:
                return True
            if isinstance(item, list):
                pending.append(item)
    return False
