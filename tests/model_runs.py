"""A run record with a Model artifact in a folder on this machine, for deployment tests that never start a
model server (e.g. names refused before anything happens)."""

from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

SIGNATURE = {
    "inputs": [{"name": "input-0", "dtype": "float32", "shape": [-1, 4], "features": ["f0", "f1", "f2", "f3"]}],
    "outputs": [],
}


def model_run(
    workspace, model_folder, *, notebook_path="demo.ipynb", parameters=None, metrics=None, metadata=None
) -> str:
    """The id of a succeeded run of pipeline `demo` whose step `train` output `model_folder` as its model
    (`metadata`: the model's, default a torch model with `SIGNATURE`; an existing folder is kept as it is)."""
    if not model_folder.exists():
        model_folder.mkdir(parents=True)
        (model_folder / "model.pt").write_bytes(b"weights")
    runs = RunStore(workspace / STORE_FILE)
    run_id = runs.create_run(
        experiment="demo",
        notebook_path=notebook_path,
        notebook_hash="0" * 64,
        pipeline="demo",
        target="local",
        parameters=parameters or {},
        steps=["train"],
    )["id"]
    runs.record_step_outputs(
        run_id,
        "train",
        parameters={},
        metrics=metrics or {},
        artifacts=[
            {
                "name": "model",
                "uri": str(model_folder),
                "type": "system.Model",
                "metadata": metadata or {"model": {"framework": "torch", "file": "model.pt", "signature": SIGNATURE}},
            }
        ],
    )
    runs.set_step_status(run_id, "train", "succeeded")
    runs.set_run_status(run_id, "succeeded")
    runs.close()  # not left to the garbage collector, which would drop SQLite's -shm file at any later moment
    return run_id


def tree(folder) -> dict:
    """Every path under `folder` with its size and modification time (folders: None): to compare before/after.
    SQLite's own `-wal`/`-shm` files come and go with connections, so they are left out."""
    return {
        str(p.relative_to(folder)): (None if p.is_dir() else (p.stat().st_size, p.stat().st_mtime_ns))
        for p in sorted(folder.rglob("*"))
        if ".sqlite-" not in p.name
    }


def bare_run(runs: RunStore, step: str) -> str:
    """A local run of one step `step`, recorded without running anything; its id."""
    return runs.create_run(
        experiment="e",
        notebook_path="a.ipynb",
        notebook_hash="h",
        pipeline="p",
        target="local",
        parameters={},
        steps=[step],
    )["id"]
