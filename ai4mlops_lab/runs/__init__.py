"""Runs: start a compiled pipeline locally (kfp.local in a worker process) or on a KFP server, follow its steps,
logs and outputs, cancel it. Module map: README "Layout"."""
