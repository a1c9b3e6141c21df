"""Serving: deploy a run's model as a KServe model server on 127.0.0.1 or as an InferenceService, predict
through it, log its requests, stop and restart it. Module map: README "Layout"."""
