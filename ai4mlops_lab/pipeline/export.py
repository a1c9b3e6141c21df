"""The exported form of a torch model, written inside the step next to the eager one: ONNX in a Triton model
repository, which KServe's own Triton runtime (`modelFormat: onnx`) serves with no custom image.

Like runtime.py, each function is embedded into the generated component source, so it imports what it needs
itself. onnx (torch's exporter writes the graph with it) and onnxruntime (the check) are optional: without them
the model has no exported form and the metadata says why.
"""


def _export_model(value, folder, signature, example, reference):
    """Export the torch module `value` to `<folder>/triton/model/1/model.onnx` with a `config.pbtxt` made from
    `signature` (tensor names, dtypes and dims, the first dim dynamic), then run it in onnxruntime on the
    `example` rows and up to 256 `reference` rows: its outputs must equal the eager model's (rtol 1e-3, atol
    1e-4). Returns the metadata of the export: `{format, runtime, repository, model_name, file, rows_checked,
    max_abs_diff, seconds}` (the served tensors are the signature's), or `{format, error}` saying why there is
    none (the folder then holds no repository)."""
    import os
    import shutil
    import time
    import warnings

    import numpy
    import torch

    started = time.perf_counter()
    repository = os.path.join(folder, "triton")
    model_dir = os.path.join(repository, "model")
    file = os.path.join(model_dir, "1", "model.onnx")
    try:
        if not signature:
            raise ValueError("the model has no signature: name its input rows with the step tag reference:VARIABLE")
        tensor_in, tensor_out = signature["inputs"][0], signature["outputs"][0]
        names_in, names_out = [tensor_in["name"]], [tensor_out["name"]]
        try:
            import onnx  # noqa: F401  (torch's exporter writes the graph with it)
            import onnxruntime
        except ImportError as err:
            raise ImportError(
                f"{err.name} is not installed where the step ran: pip install onnx onnxruntime (or ai4mlops-lab[torch])"
            ) from None
        rows = numpy.ascontiguousarray(numpy.concatenate([example, reference[:256]]))
        os.makedirs(os.path.dirname(file), exist_ok=True)
        training = value.training
        value.eval()
        try:
            with warnings.catch_warnings(record=True) as caught, torch.no_grad():
                warnings.simplefilter("always")
                torch.onnx.export(
                    value,
                    (torch.from_numpy(numpy.ascontiguousarray(example)),),
                    file,
                    dynamo=False,  # the TorchScript-based exporter: ~0.5 s cold where dynamo's takes ~10 s
                    opset_version=17,  # onnxruntime >= 1.13 loads it (torch's default, 20, needs a recent Triton)
                    input_names=names_in,
                    output_names=names_out,
                    dynamic_axes={names_in[0]: {0: "batch"}, names_out[0]: {0: "batch"}},
                )
                want = value(torch.from_numpy(rows)).detach().cpu().numpy()
        finally:
            value.train(training)
        session = onnxruntime.InferenceSession(file, providers=["CPUExecutionProvider"])
        got = session.run(names_out, {names_in[0]: rows})[0]
        traced = [str(w.message).split("\n")[0] for w in caught if w.category.__name__ == "TracerWarning"]
        because = f" (the trace warned: {traced[0]})" if traced else ""
        if got.shape != want.shape or got.dtype != want.dtype:
            raise ValueError(
                f"onnxruntime gives {got.dtype}{list(got.shape)} where the model gives "
                f"{want.dtype}{list(want.shape)}{because}"
            )
        diff = float(numpy.max(numpy.abs(got.astype(numpy.float64) - want))) if got.size else 0.0
        if not numpy.allclose(got, want, rtol=1e-3, atol=1e-4):
            raise ValueError(
                f"onnxruntime's outputs differ from the model's by up to {diff:.3g} on {len(rows)} example and "
                f"reference rows{because}"
            )

        def triton_type(dtype):
            return "TYPE_" + {"float16": "FP16", "float32": "FP32", "float64": "FP64"}.get(dtype, dtype.upper())

        def tensors(kind, tensor):
            dims = ", ".join(str(n) for n in tensor["shape"])
            return [
                f"{kind} [",
                "  {",
                f'    name: "{tensor["name"]}"',
                f"    data_type: {triton_type(tensor['dtype'])}",
                f"    dims: [ {dims} ]",
                "  }",
                "]",
            ]

        # max_batch_size 0: the dims carry the dynamic batch (-1), so a request may hold any number of rows
        # (Triton's dynamic batcher would need max_batch_size > 0, which caps the rows of one request).
        lines = ['name: "model"', 'backend: "onnxruntime"', "max_batch_size: 0"]
        lines += tensors("input", tensor_in) + tensors("output", tensor_out)
        with open(os.path.join(model_dir, "config.pbtxt"), "w") as stream:
            stream.write("\n".join(lines) + "\n")
    except Exception as err:  # any failure leaves the eager model as the only form, with the reason
        shutil.rmtree(repository, ignore_errors=True)
        reason = str(err).strip().split("\n")[0][:400] or type(err).__name__
        return {"format": "onnx", "error": f"{type(err).__name__}: {reason}"}
    return {
        "format": "onnx",
        "runtime": "triton",
        "repository": "triton",
        "model_name": "model",
        "file": "triton/model/1/model.onnx",
        "rows_checked": len(rows),
        "max_abs_diff": diff,
        "seconds": round(time.perf_counter() - started, 3),
    }
