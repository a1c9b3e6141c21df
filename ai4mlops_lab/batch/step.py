"""What the step of a batch job's pipeline on Kubeflow runs (`kfp.py` generates it): download the model artifact
folder from S3, then predict the input object to the output object with `predict_io`, the code a local job runs,
printing its stages, progress and summary to the step's log."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .. import confined
from ..errors import FieldError
from ..objectstore import ObjectStore, S3Uri, parse_uri
from ..objectstore.client import ENDPOINT_ENV
from ..serving.loaded_model import LoadedModel
from .objects import predict_io


def run(
    model_uri: str,
    model_metadata: str,
    input_uri: str,
    output_uri: str,
    overwrite: bool,
    chunk_size: int,
    task: str,
    s3_endpoint: str = "",
) -> dict:
    """Predict `input_uri` to `output_uri` with the model at `model_uri` (its metadata as JSON); the summary.
    `s3_endpoint`: an S3-compatible server (empty: the step's environment says)."""
    if s3_endpoint:
        os.environ[ENDPOINT_ENV[1]] = s3_endpoint
    store = ObjectStore()
    with tempfile.TemporaryDirectory(prefix="batch-") as work:
        work = Path(work)
        folder = download_folder(store, parse_uri(model_uri, field="model"), work / "model")
        summary = predict_io(
            LoadedModel(folder, json.loads(model_metadata)),
            input_uri,
            output_uri,
            root=work,
            scratch=work / "scratch",
            overwrite=overwrite,
            store=store,
            chunk_size=chunk_size,
            task=task,
            stage=lambda name: print(f"{name} ...", flush=True),
            progress=lambda done, total: print(f"predicted {done:,} / {total:,} rows", flush=True),
        )
    print(json.dumps(summary), flush=True)
    return summary


def download_folder(store: ObjectStore, uri: S3Uri, destination: Path) -> Path:
    """Every object under the prefix `uri` into the folder `destination` (kept inside it); the folder."""
    prefix = uri.key.rstrip("/") + "/" if uri.key.strip("/") else ""
    count = 0
    for item in store.list(uri.child(prefix)):
        parts = [part for part in item.key[len(prefix) :].split("/") if part]
        if parts:
            folder = confined.make_folder(destination, *parts[:-1])
            store.download(uri.child(item.key), confined.resolve(folder, parts[-1]))
            count += 1
    if not count:
        raise FieldError("model", f"There is no model folder at {uri}.", "Check the model artifact's URI.")
    return destination
