"""`POST /analyze` and `POST /compile`: the notebook's pipeline, checked or compiled."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import UserError
from ..notebook.diagnostics import notebook_errors
from ..runs.spare import notebook_modules
from ..user_paths import api_path
from .base import ApiHandler


def _notebook_from_body(body: dict) -> tuple[dict, str]:
    """The notebook sent inline as `notebook` (v4 JSON), checked enough to analyse, and its `name`."""
    notebook, name = body["notebook"], body.get("name", "pipeline")
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise UserError(
            "The notebook in the request is not a v4 notebook (no list of 'cells').",
            "Send the notebook's JSON content, as JupyterLab saves it.",
        )
    if not isinstance(name, str):
        raise UserError(
            f"The field 'name' must be a string, got {type(name).__name__}.",
            'Send the notebook\'s file name, e.g. "name": "train.ipynb".',
        )
    return notebook, name


class AnalyzeHandler(ApiHandler):
    """Steps, edges and diagnostics of a notebook, without writing files (called as the user types)."""

    @web.authenticated
    @authorized
    async def post(self):
        from ..notebook.reader import read_notebook
        from ..pipeline.compiler import analyze_notebook

        body = self.json_body()
        if "notebook" in body:
            notebook, name_hint = _notebook_from_body(body)
        else:
            path = self.user_notebook(body.get("path", ""))
            notebook, name_hint = await asyncio.to_thread(read_notebook, path), path.stem
        # Off the event loop: a large notebook takes seconds to analyse.
        analysis = await asyncio.to_thread(analyze_notebook, notebook, name_hint=name_hint)
        if self.extension.spare_worker:  # the panel is open on this notebook: its next run's worker starts now
            modules = notebook_modules(notebook["cells"])
            await asyncio.to_thread(self.extension.workspace.run_service.prepare_local, modules)
        self.reply(analysis)


class CompileHandler(ApiHandler):
    """Compile a saved notebook into `<pipeline>.py` and `<pipeline>.pipeline.yaml`."""

    @web.authenticated
    @authorized
    async def post(self):
        from ..pipeline.compiler import compile_notebook

        body = self.json_body()
        root = self.serverapp.root_dir
        path = self.user_notebook(body.get("path", ""))
        outdir = self.user_path(body["outdir"], must_exist=False) if body.get("outdir") else None
        if outdir is not None and any(p.exists() and not p.is_dir() for p in (outdir, *outdir.parents)):
            raise UserError(
                f"The output folder '{body['outdir']}' is, or is inside, a file.",
                "Name a folder (created if missing), or leave 'outdir' out to write beside the notebook.",
            )
        result = await asyncio.to_thread(compile_notebook, path, outdir)
        result["files"] = [api_path(root, f) for f in result["files"]]
        if result["ok"]:
            self.reply(result)
        else:
            self.reply({**result, **notebook_errors(result["diagnostics"]).to_json()}, status=422)
