# The ai4mlops-lab predictor: serves torch models (and the other frameworks its runs save) as the custom predictor
# of a KServe InferenceService. Built from the package's wheel, tagged with its version (README, "Predictor image"):
#   uv build --wheel --out-dir dist .
#   docker build -f ai4mlops_lab/serving/predictor.Dockerfile --build-arg VERSION=0.1.0 -t REGISTRY/ai4mlops-lab-predictor:0.1.0 dist
# .ci/check-wheel runs this file's ENTRYPOINT, with its ENV, from the wheel installed in a clean venv and predicts.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}
# The package version: the wheel dist/ai4mlops_lab-VERSION-py3-none-any.whl, and the image's tag.
ARG VERSION
# torch's wheels: CPU-only by default; an empty value (--build-arg TORCH_INDEX_URL=) picks PyPI's CUDA builds.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
LABEL org.opencontainers.image.title="ai4mlops-lab predictor" \
      org.opencontainers.image.version="${VERSION}"
COPY ai4mlops_lab-${VERSION}-py3-none-any.whl /tmp/
RUN python3 -m pip install --no-cache-dir ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} \
        "/tmp/ai4mlops_lab-${VERSION}-py3-none-any.whl[torch]" \
    && rm /tmp/ai4mlops_lab-${VERSION}-py3-none-any.whl
# HOME: a writable folder for libraries caching there, as user 1000 (no home of its own).
ENV AI4MLOPS_PREDICTOR_HOST=0.0.0.0 PORT=8080 MODEL_DIR=/mnt/models PYTHONUNBUFFERED=1 HOME=/tmp
USER 1000
EXPOSE 8080
ENTRYPOINT ["python3", "-m", "ai4mlops_lab.serving.container"]
