"""Batch predictions whose input or output is an S3 object (`s3://bucket/key`): the input is downloaded into a
temporary folder of the workspace (removed after), predicted by `predict_planned` like a local file, and the
output and rejects files uploaded. The default output of an S3 input is the object named as a local output would
be (`<stem>.predictions.<ext>` next to it), the rejects `<stem>.rejects.csv` next to the output. An existing
output object is replaced only when asked (`overwrite`): checked when the job is planned and again before the
upload. A local input may have an S3 output and an S3 input a local output.

`stage` is told what is being done: `downloading`, `predicting`, `uploading`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from .. import confined
from ..errors import FieldError
from ..objectstore import ObjectStore, S3Uri, parse_uri
from ..serving.loaded_model import LoadedModel
from .predict import (
    OVERWRITE_HINT,
    as_field_error,
    default_name,
    plan_input,
    plan_output,
    plan_paths,
    predict_file,
    predict_planned,
    rejects_name,
)
from .readers import check_format
from .writers import check_output

Stage = Callable[[str], None]
#: What a prediction does, in order.
STAGES = ("downloading", "predicting", "uploading")


def is_uri(text) -> bool:
    """Whether `text` names an object (`s3://` or `s3a://`) rather than a file."""
    return isinstance(text, str) and text.strip().lower().startswith(("s3://", "s3a://"))


def plan_io(
    root: Path, input: str, output: str | None = None, *, overwrite: bool = False, store: ObjectStore | None = None
) -> tuple[str, str, str]:
    """Check an input and output, files under `root` or objects: the input, output and rejects as a job records
    them (paths relative to `root`, or URIs). FieldErrors name `input` or `output` (a 404 for a missing bucket or
    object, a 403 for refused credentials)."""
    root = Path(root).resolve()
    if not is_uri(input) and not is_uri(output):
        return tuple(path.relative_to(root).as_posix() for path in plan_paths(root, input, output, overwrite=overwrite))
    store = store or ObjectStore()
    if is_uri(input):
        source = _object_input(store, input)
        shown, name = str(source), PurePosixPath(source.key)
    else:
        local = plan_input(root, input)
        shown, name = local.relative_to(root).as_posix(), local
    if output is None or is_uri(output):
        target, rejects = output_objects(source if is_uri(input) else None, name, output)
        _check_output(store, target, overwrite)
        return shown, str(target), str(rejects)
    target, rejects = plan_output(root, Path(name.name), output, overwrite=overwrite)
    return shown, target.relative_to(root).as_posix(), rejects.relative_to(root).as_posix()


def output_objects(source: S3Uri | None, name: PurePosixPath, output: str | None) -> tuple[S3Uri, S3Uri]:
    """The output object (`output`, default: the input object's `<stem>.predictions.<ext>`) and the rejects object
    next to it, for the input `source` (an object, or None for a file) named `name`; asks nothing of the store."""
    target = source.child(str(default_name(name))) if output is None else parse_uri(output, field="output")
    rejects = target.child(str(PurePosixPath(target.key).with_name(rejects_name(name))))
    as_field_error("output", check_output, PurePosixPath(target.key))
    if source in (target, rejects):
        raise FieldError("output", f"The output {target} would replace the input.", "Name another output.")
    return target, rejects


def input_object(input: str) -> S3Uri:
    """The input object's URI, of a format read here (FieldErrors name `input`); asks nothing of the store."""
    uri = parse_uri(input, field="input")
    as_field_error("input", check_format, PurePosixPath(uri.key))
    return uri


def predict_io(
    model: LoadedModel,
    input: str,
    output: str | None = None,
    *,
    root: Path,
    scratch: Path,
    overwrite: bool = False,
    stage: Stage | None = None,
    store: ObjectStore | None = None,
    **options,
) -> dict:
    """`predict_file` for an input and output that may be objects (see `plan_io`), with temporary files in a
    folder made under `scratch` and removed after; `options` are `predict_file`'s. The summary names the objects
    by URI."""
    stage = stage or (lambda _: None)
    if not is_uri(input) and not is_uri(output):
        stage("predicting")
        return predict_file(model, input, output, root=root, overwrite=overwrite, **options)
    root, store = Path(root).resolve(), store or ObjectStore()
    _, output, rejects_at = plan_io(root, input, output, overwrite=overwrite, store=store)
    with tempfile.TemporaryDirectory(dir=confined.make_folder(scratch), prefix="s3-") as temporary:
        temporary = Path(temporary)
        if is_uri(input):
            stage("downloading")
            uri = parse_uri(input, field="input")
            source = as_field_error("input", store.download, uri, temporary / PurePosixPath(uri.key).name)
        else:
            source = plan_input(root, input)
        if is_uri(output):
            written = confined.make_folder(temporary, "out")
            target, rejects = written / PurePosixPath(parse_uri(output).key).name, written / "rejects.csv"
        else:
            (target, rejects), written = plan_output(root, source, output, overwrite=overwrite), root
        stage("predicting")
        summary = predict_planned(model, source, target, rejects, root=written, **options)
        if is_uri(output):
            stage("uploading")
            summary |= _upload(store, summary, target, parse_uri(output), parse_uri(rejects_at), overwrite)
    if is_uri(input):
        summary["input"] = input
    return summary


def _upload(store: ObjectStore, summary: dict, target: Path, output: S3Uri, rejects: S3Uri, overwrite: bool) -> dict:
    """Upload the output (unless an object appeared there meanwhile) and the rejects file (a stale one removed)."""
    if not overwrite and as_field_error("output", store.exists, output):
        raise FieldError("output", f"The output {output} was written by someone else meanwhile.", OVERWRITE_HINT)
    as_field_error("output", store.upload, target, output)
    if summary["rejected"]:
        as_field_error("output", store.upload, Path(summary["rejects_file"]), rejects)
    elif store.exists(rejects):  # from an earlier prediction of the same input
        store.delete(rejects)
    return {"output": str(output), "rejects_file": str(rejects) if summary["rejected"] else None}


def _object_input(store: ObjectStore, input: str) -> S3Uri:
    """The input object: of a format read here, existing (FieldErrors name `input`)."""
    uri = input_object(input)
    if not as_field_error("input", store.exists, uri):
        refused = FieldError("input", f"There is no object {uri}.", "Check the key (list the bucket's objects).")
        refused.status, refused.code = 404, "not_found"
        raise refused
    return uri


def _check_output(store: ObjectStore, target: S3Uri, overwrite: bool) -> None:
    """FieldErrors naming `output` for an object in a missing bucket, or existing (unless `overwrite`)."""
    if as_field_error("output", store.exists, target) and not overwrite:  # a missing bucket: refused either way
        raise FieldError("output", f"The output {target} exists already.", OVERWRITE_HINT)
