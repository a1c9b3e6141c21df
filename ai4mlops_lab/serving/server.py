"""The model-server process of a local deployment: `python -m ai4mlops_lab.serving.server FOLDER`.

Serves the model in `FOLDER/model` (or in the folder `model_dir` names) with kserve's ModelServer on 127.0.0.1
only (V1 and V2 REST, no gRPC), with request logging. `FOLDER/deployment.json` says the name, port, model
metadata and request log settings (an ingest `url`, or the `store` to write events into); the ingest endpoint's
auth header value comes in the environment (`AUTH_ENV`), never in a file.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import kserve
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kserve import model_server
from kserve.errors import InvalidInput, ModelNotFound

from .predictor import Predictor
from .requestlog import RequestLog, RequestLogMiddleware
from .server_process import AUTH_ENV, HOST, REQUEST_LOG_LIMITS
from .sinks import StoreSink


class PredictorServer(kserve.ModelServer):
    """kserve's ModelServer listening on `host` (default 127.0.0.1) instead of 0.0.0.0, answering bad requests with
    what it expects, and writing no log line per successful request (the request log counts each one).

    kserve 0.21 hard-codes host 0.0.0.0 in its RESTServer's uvicorn config and has no option for it; start()
    creates that server, then calls setup_event_loop() before anything listens, so the host is set there, and
    our error handlers are added after kserve's own (the last one added for an error type wins). kserve's only
    middleware times each request for two `kserve.trace` log lines; it is left out, and uvicorn's access log
    keeps the lines of failed requests: at 500 requests/s, those three lines per request grew the server log by
    about 0.7 GB an hour.
    """

    def __init__(self, predictor: Predictor, *, host: str = HOST, **kwargs):
        super().__init__(**kwargs)
        self.predictor, self.listen_host = predictor, host
        logging.getLogger("uvicorn.access").addFilter(_failed_request)

    def setup_event_loop(self):
        rest = self._rest_server
        rest.config.host = self.listen_host
        rest._add_middlewares = lambda app: None
        add_kserve_handlers = rest._add_exception_handlers

        def add_handlers(app):
            add_kserve_handlers(app)
            for error in (InvalidInput, ModelNotFound, RequestValidationError):
                app.add_exception_handler(error, self.bad_request)

        rest._add_exception_handlers = add_handlers
        super().setup_event_loop()

    async def bad_request(self, _request, error: Exception) -> JSONResponse:
        """400 (404 for an unknown model) with the error and the model's expected input."""
        if isinstance(error, RequestValidationError):
            message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        else:
            message = str(error)
        name = self.predictor.name
        if self.predictor.signature.describe() not in message:
            message += (
                f"; this server serves model {name!r} (POST /v1/models/{name}:predict with "
                f'{{"instances": [...]}} or /v2/models/{name}/infer with {{"inputs": [...]}}), '
                f"expected input: {self.predictor.signature.describe()}"
            )
        return JSONResponse({"error": message}, status_code=404 if isinstance(error, ModelNotFound) else 400)


def _failed_request(record: logging.LogRecord) -> bool:
    """Keeps uvicorn's access log line of a failed request (its arguments end with the status code)."""
    status = record.args[-1] if isinstance(record.args, tuple) and record.args else None
    return not isinstance(status, int) or status >= 400


def main(folder: Path) -> None:
    config = json.loads((folder / "deployment.json").read_text())
    name, port, settings = config["name"], config["port"], config.get("request_log") or {}
    sink = StoreSink(settings["store"]) if settings.get("store") else settings.get("url")
    log = RequestLog(
        folder,
        name=name,
        source=f"http://{HOST}:{port}/",
        sink=sink,
        auth=os.environ.pop(AUTH_ENV, None),
        namespace=settings.get("namespace") or "local",
        **{key: settings[key] for key in REQUEST_LOG_LIMITS if key in settings},
    )
    model_server.app.add_middleware(RequestLogMiddleware, log=log)
    predictor = Predictor(name, config.get("model_dir") or str(folder / "model"), config["metadata"])
    predictor.load()
    log.start()
    try:
        PredictorServer(
            predictor, http_port=port, enable_grpc=False, workers=1, grace_period=2, enable_latency_logging=False
        ).start([predictor])
    finally:
        log.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
    # Served, stopped, request log flushed: skip the interpreter's teardown, which takes seconds with kserve, fastapi
    # and torch loaded, longer than `stop` waits before it kills the server.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
