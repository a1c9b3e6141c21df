"""ai4mlops-lab: take a Jupyter notebook to Kubeflow Pipelines and KServe, and keep it healthy."""

__version__ = "0.1.0"
