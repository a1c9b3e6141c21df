"""Regenerate the committed test notebooks: `python tests/compiler/notebooks/make_notebooks.py`."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent


def notebook(cells, metadata=None):
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            **(metadata or {}),
        }
    )
    for tags, source in cells:
        if tags is None:
            nb.cells.append(new_markdown_cell(source))
        else:
            nb.cells.append(new_code_cell(source, metadata={"tags": tags} if tags else {}))
    return nb


DATAFLOW = notebook(
    [
        (None, "# Data flow test notebook"),
        (["imports"], "import numpy as np"),
        (["pipeline-parameters"], 'scale = 2.5\nn = 8\nlabel = "run"\nuse_bias = True'),
        (["functions"], "def double(v):\n    return v * 2"),
        (["step:make_data"], "rng = np.random.default_rng(0)\ndata = rng.normal(size=(n, 3))\ncount = n * 1"),
        ([], "offset = 1.5"),
        (["step:make_fn"], "def scaled(v):\n    return v * scale + offset"),
        (["step:branch_a"], 'col_means = data.mean(axis=0)\nhistory = [label]\nhistory.append("a")'),
        (["step:branch_b"], "!echo branch-b\ncol_max = data.max(axis=0)"),
        (
            ["step:apply_fn", "prev:branch_b"],
            "result = scaled(col_means)\nscore = float(result.sum())\nbias_used = use_bias\n"
            "history.append(str(len(result)))",
        ),
        (["skip"], 'print("not part of the pipeline")'),
        (
            ["step:summary"],
            'summary = {"score": score, "max": double(col_max).tolist(), "history": history, "count": count}\n'
            "n_hist = len(history)\nratio = score / n",
        ),
        (["pipeline-metrics"], "print(score)\nprint(n_hist)"),
    ]
)

KALE_LEGACY = notebook(
    [
        (["imports"], "import numpy as np\nimport json"),
        (["pipeline-parameters"], "size = 5\nfactor = 3"),
        (["block:load"], "values = np.arange(size) * factor"),
        (["block:train", "prev:load", "limit:nvidia.com/gpu:1", "limit:memory:1Gi"], "weights = values / values.sum()"),
        ([], "best = float(weights.max())"),
        (["block:report"], "report = json.dumps({'best': best})"),
        (["pipeline-metrics"], "print(best)"),
    ],
    metadata={
        "kubeflow_notebook": {
            "docker_image": "python:3.11-slim",
            "experiment": {"id": "new", "name": "kale-exp"},
            "experiment_name": "kale-exp",
            "pipeline_name": "kale-legacy",
            "pipeline_description": "written for Kale 0.x",
            "autosnapshot": True,
            "snapshot_volumes": True,
            "katib_run": False,
            "katib_metadata": {"parameters": []},
            "volumes": [
                {
                    "name": "data-pvc",
                    "mount_point": "/data",
                    "type": "pvc",
                    "size": 1,
                    "size_type": "Gi",
                    "annotations": [],
                    "snapshot": False,
                }
            ],
        }
    },
)

# What published Kale notebooks do that broke compiling: untagged multi-line cells before the first tag,
# names KFP refuses passed between steps, `_` as a throwaway, prev: on a skip cell, a printed parameter.
KALE_DEFECTS = notebook(
    [
        (None, "# Kale-style notebook\nWritten with nbformat, so every source is a list of lines on disk."),
        ([], "import numpy as np\nprint(np.__version__)"),
        ([], "%env DEMO=1\nx_scratch = 1"),
        (["imports"], "import numpy as np\nimport json"),
        (["pipeline-parameters"], "lr = 0.5\nn_rows = 6"),
        (
            ["step:load_data"],
            "_ = print('loading')\ndonnées = np.arange(n_rows, dtype=float)\n_scaler = float(données.max())",
        ),
        (["skip", "prev:load_data"], "print(données)"),
        (["step:scale", "prev:load_data"], "for _, value in enumerate(données):\n    pass\n__x = données / _scaler"),
        ([], "total = float(__x.sum() * lr)"),
        (["step:_"], "_ = round(total, 3)\nsummary = json.dumps({'total': _})"),
        (["pipeline-metrics"], "print(total)\nprint(lr)"),
    ]
)

if __name__ == "__main__":
    nbformat.write(DATAFLOW, HERE / "dataflow.ipynb")
    nbformat.write(KALE_LEGACY, HERE / "kale_legacy.ipynb")
    nbformat.write(KALE_DEFECTS, HERE / "kale_defects.ipynb")
