"""The jupyter-server extension: configuration, the route table and thin REST handlers over the workspace's
services; the contract of every route is `ai4mlops_lab/openapi.yaml`. Module map: README "Layout"."""
