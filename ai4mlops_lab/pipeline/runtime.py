"""Marshalling used inside every step. Each function is embedded into the generated component source
(lightweight components ship only their own function), so each one imports what it needs itself."""

from .export import _export_model  # embedded beside _save_model, which calls it


def _run(inputs, cells):
    """Execute the step's cells, (label, code) in order, in a fresh notebook-like namespace seeded with its inputs.
    Each runs as the file `<label>` (e.g. `<cell 4>`) with its source in linecache, so tracebacks and warnings
    name the notebook cell, the line within it and its code."""
    import linecache

    namespace = {"__name__": "__main__", "display": print}
    namespace.update(inputs)
    for label, code in cells:
        filename = f"<{label}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        exec(compile(code, filename, "exec", dont_inherit=True), namespace)
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
    import sys

    kind = type(value)
    library = kind.__module__.split(".")[0]
    torch = sys.modules.get("torch")  # torch values include modules of classes defined in the notebook
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
    elif torch is not None and isinstance(value, (torch.Tensor, torch.nn.Module)):
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


def _observe_models():
    """Watch torch module calls while a step runs; returns ({id(module): largest input}, stop)."""
    import torch

    seen = {}

    def hook(module, args):
        data = args[0] if args else None
        if isinstance(data, torch.Tensor) and data.dim() >= 2 and not data.requires_grad:
            old = seen.get(id(module))
            if old is None or data.shape[0] > old.shape[0]:
                seen[id(module)] = data.detach()

    handle = torch.nn.modules.module.register_module_forward_pre_hook(hook)
    return seen, handle.remove


def _save_model(value, artifact, namespace, seen, reference, max_rows):
    """Save a model as a folder: the model file, `reference.npy` (at most max_rows of its features) and metadata
    (framework, version, loader, signature, example input; for torch, its exported form: see _export_model).
    Features: the step variable named `reference`, else the largest input a torch model was called with in the
    step, else the step's 2-D numeric variable with the model's width and the most rows. A value that is no
    torch/sklearn/xgboost model is saved by _save."""
    import importlib.metadata
    import os
    import sys
    import types

    import numpy

    library = type(value).__module__.split(".")[0]
    torch = sys.modules.get("torch")  # a torch model may be of a class defined in the notebook
    if torch is not None and isinstance(value, torch.nn.Module):
        library = "torch"
    else:
        torch = None
        if library not in ("sklearn", "xgboost") or not hasattr(value, "predict"):
            return _save(value, artifact)
    os.makedirs(artifact.path, exist_ok=True)
    file = "model.pt" if torch else "model.joblib"
    _save(value, types.SimpleNamespace(path=os.path.join(artifact.path, file), metadata=artifact.metadata))

    def as_array(data):
        if isinstance(data, types.ModuleType):  # e.g. torch itself, which has a `detach` function
            return None, None
        if hasattr(data, "detach"):
            return data.detach().cpu().numpy(), None
        if hasattr(data, "to_numpy") and hasattr(data, "columns"):
            return data.to_numpy(), [str(c) for c in data.columns]
        return (data, None) if isinstance(data, numpy.ndarray) else (None, None)

    width = getattr(value, "n_features_in_", None)
    features, names, source = None, None, None
    example = rows = None
    if reference:
        features, names = as_array(_get(namespace, reference))
        source = f"variable {reference} (reference setting)"
    elif torch is not None and id(value) in seen:
        features, names = as_array(seen[id(value)])
        source = "input the model was called with in the step"
    else:
        candidates = []
        for var, data in namespace.items():
            array, columns = (None, None) if var.startswith("_") else as_array(data)
            if (
                array is not None
                and array.ndim == 2
                and array.dtype.kind in "fiub"
                and (width is None or array.shape[1] == width)
            ):
                candidates.append((-array.shape[0], var, array, columns))
        if candidates:
            _, var, features, names = min(candidates, key=lambda c: c[:2])
            source = f"variable {var} (2-D numeric, the most rows)"
    info = {
        "framework": library,
        "framework_version": importlib.metadata.version(
            "torch" if torch else "scikit-learn" if library == "sklearn" else library
        ),
        "file": file,
        "loader": "torch.load(weights_only=False)" if torch else "joblib.load",
        "signature": None,
        "example": None,
        "reference": None,
    }
    if features is not None and features.ndim >= 2 and features.dtype.kind in "fiub":
        example = features[:5]
        if torch is not None:
            training = value.training
            value.eval()
            with torch.no_grad():
                output = value(torch.from_numpy(numpy.ascontiguousarray(example))).detach().cpu().numpy()
            value.train(training)
        else:
            output = numpy.asarray(value.predict(example))
        names = names or [str(n) for n in getattr(value, "feature_names_in_", [])] or None
        info["signature"] = {
            "inputs": [
                {
                    "name": "input-0",
                    "dtype": features.dtype.name,
                    "shape": [-1, *features.shape[1:]],
                    "features": names or [f"f{i}" for i in range(features.shape[1])],
                }
            ],
            "outputs": [{"name": "output-0", "dtype": output.dtype.name, "shape": [-1, *output.shape[1:]]}],
        }
        info["example"] = example.tolist()
        rows = features
        if len(features) > max_rows:
            rows = features[numpy.sort(numpy.random.default_rng(0).choice(len(features), max_rows, replace=False))]
        with open(os.path.join(artifact.path, "reference.npy"), "wb") as stream:
            numpy.save(stream, rows, allow_pickle=False)
        info["reference"] = {"file": "reference.npy", "rows": len(rows), "total_rows": len(features), "source": source}
    else:
        print(
            "ai4mlops-lab: no features found for this model, so it has no signature or reference data; "
            "name them with the step tag reference:VARIABLE"
        )
    if torch is not None:
        info["export"] = _export_model(value, artifact.path, info["signature"], example, rows)
    artifact.metadata["model"] = info


def _load(artifact):
    """Read a value written by _save, using the format recorded in the artifact metadata."""
    import os
    import pickle

    fmt, path = artifact.metadata.get("format", "pickle"), artifact.path
    if "model" in artifact.metadata:  # a model folder written by _save_model
        path = os.path.join(path, artifact.metadata["model"]["file"])
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


#: `_load` for the other packages (generated steps import `_load`, which their names cannot clash with).
load_artifact = _load


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
