"""The `ai4mlops` command: the same services as the REST API (through `Workspace`), for terminals and CI/CD.

`main.py` holds the grammar and the dispatch; each other module registers and prints one noun's commands.
"""
