"""Batch prediction: a model's predictions over a file (CSV or `.npy`), in chunks, in this process."""

from .predict import predict_file

__all__ = ["predict_file"]
