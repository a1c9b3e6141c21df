"""The jupyter-server extension: configuration, the route table and thin REST handlers over the services.
Module map: README "Layout"."""
