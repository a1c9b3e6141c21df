"""Fixtures for the store tests: a store in a fresh file and a quick way to add runs."""

import pytest

from ai4mlops_lab.store import RunStore


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "workspace" / "store.db"


@pytest.fixture
def store(store_path):
    store = RunStore(store_path)
    yield store
    store.close()


@pytest.fixture
def make_run(store):
    """Create a run with the given steps; other fields have defaults."""

    def make(steps=("load", "train", "evaluate"), **fields):
        fields = {
            "experiment": "default",
            "notebook_path": "nb/train.ipynb",
            "notebook_hash": "sha256:abc",
            "pipeline": "train",
            "target": "local",
            "parameters": {"epochs": 3},
            **fields,
        }
        return store.create_run(steps=list(steps), **fields)

    return make


def step_values(run: dict, key: str) -> dict:
    """`{step: value}` of a run's per-step `metrics` or `outputs`, for the steps that have some."""
    return {step["name"]: step[key] for step in run["steps"] if step[key]}
