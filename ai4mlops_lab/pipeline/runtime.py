"""Marshalling used inside every step. Each function is embedded into the generated component source
(lightweight components ship only their own function), so each one imports what it needs itself."""


def _run(step, inputs, code):
    """Execute the step's code in a fresh notebook-like namespace seeded with its inputs."""
    namespace = {"__name__": "__main__", "display": print}
    namespace.update(inputs)
    exec(compile(code, f"<step {step}>", "exec", dont_inherit=True), namespace)
    return namespace


def _get(namespace, name):
    """A variable the step must have defined."""
    if name not in namespace:
        raise NameError(f"this step did not define {name!r}, which the pipeline passes on")
    return namespace[name]


def _scalar(value, kind):
    """Check a scalar output against its statically inferred type."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _save(value, artifact):
    """Write value in a format native to its library; record format and type in the artifact metadata."""
    import os
    import pickle

    kind = type(value)
    library = kind.__module__.split(".")[0]
    path = artifact.path
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fmt = None
    if library == "numpy" and kind.__name__ == "ndarray" and not value.dtype.hasobject:
        import numpy

        with open(path, "wb") as stream:
            numpy.save(stream, value, allow_pickle=False)
        fmt = "npy"
    elif library == "pandas" and kind.__name__ == "DataFrame":
        try:
            value.to_parquet(path)
            fmt = "parquet"
        except (ImportError, ValueError, TypeError):
            fmt = None
    elif library == "torch":
        import torch

        if isinstance(value, torch.Tensor):
            torch.save(value, path)
            fmt = "torch"
        elif isinstance(value, torch.nn.Module):
            try:
                import cloudpickle as module_pickler
            except ImportError:
                module_pickler = pickle
            torch.save(value, path, pickle_module=module_pickler)
            fmt = "torch-module"
    elif library == "sklearn":
        try:
            import joblib

            joblib.dump(value, path)
            fmt = "joblib"
        except ImportError:
            fmt = None
    if fmt is None:
        try:
            import cloudpickle as pickler

            fmt = "cloudpickle"
        except ImportError:
            pickler, fmt = pickle, "pickle"
        with open(path, "wb") as stream:
            pickler.dump(value, stream)
    artifact.metadata["format"] = fmt
    artifact.metadata["type"] = f"{kind.__module__}.{kind.__qualname__}"


def _load(artifact):
    """Read a value written by _save, using the format recorded in the artifact metadata."""
    import pickle

    fmt, path = artifact.metadata.get("format", "pickle"), artifact.path
    if fmt == "npy":
        import numpy

        return numpy.load(path, allow_pickle=False)
    if fmt == "parquet":
        import pandas

        return pandas.read_parquet(path)
    if fmt in ("torch", "torch-module"):
        import torch

        return torch.load(path, weights_only=False)
    if fmt == "joblib":
        import joblib

        return joblib.load(path)
    if fmt == "cloudpickle":
        import cloudpickle  # noqa: F401  (its reducers must be importable to unpickle)
    with open(path, "rb") as stream:
        return pickle.load(stream)


def _log_metrics(artifact, values):
    """Log each metric and also write them to the artifact file (kfp.local caches need the file)."""
    import json
    import os

    values = {name: float(value) for name, value in values.items()}
    for name, value in values.items():
        artifact.log_metric(name, value)
    os.makedirs(os.path.dirname(artifact.path) or ".", exist_ok=True)
    with open(artifact.path, "w") as stream:
        json.dump(values, stream)
