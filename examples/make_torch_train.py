"""Regenerate examples/torch-train.ipynb: `python examples/make_torch_train.py`."""

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    (
        None,
        "# Train a small MLP with torch\n\nA 2-class task on synthetic data (10 numeric features, fixed seed). "
        "Tagged for ai4mlops-lab: each `step:` cell becomes a Kubeflow pipeline step.",
    ),
    (["imports"], "import numpy as np\nimport torch\nfrom torch import nn"),
    (["pipeline-parameters"], "epochs = 40\nlr = 0.1\nseed = 0\nn_samples = 800"),
    (["functions"], "def standardize(x, mean, std):\n    return (x - mean) / std"),
    (
        ["step:load_data"],
        "rng = np.random.default_rng(seed)\n"
        "features = rng.normal(size=(n_samples, 10)).astype(np.float32)\n"
        "true_weights = rng.normal(size=10).astype(np.float32)\n"
        "noise = 0.3 * rng.normal(size=n_samples)\n"
        "labels = (features @ true_weights + noise > 0).astype(np.int64)",
    ),
    (
        ["step:preprocess"],
        "split = int(0.8 * n_samples)\n"
        "x_train, x_test = features[:split], features[split:]\n"
        "y_train, y_test = labels[:split], labels[split:]\n"
        "mean, std = x_train.mean(axis=0), x_train.std(axis=0)\n"
        "x_train = standardize(x_train, mean, std)\n"
        "x_test = standardize(x_test, mean, std)",
    ),
    (
        ["step:train"],
        "torch.manual_seed(seed)\n"
        "model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n"
        "loss_fn = nn.CrossEntropyLoss()\n"
        "inputs, targets = torch.from_numpy(x_train), torch.from_numpy(y_train)\n"
        "for epoch in range(epochs):\n"
        "    optimizer.zero_grad()\n"
        "    batch_loss = loss_fn(model(inputs), targets)\n"
        "    batch_loss.backward()\n"
        "    optimizer.step()\n"
        "loss = float(batch_loss.detach())\n"
        'print(f"final training loss {loss:.4f}")',
    ),
    (
        ["step:evaluate"],
        "model.eval()\n"
        "with torch.no_grad():\n"
        "    predictions = model(torch.from_numpy(x_test)).argmax(dim=1).numpy()\n"
        "accuracy = float((predictions == y_test).mean())\n"
        'print(f"test accuracy {accuracy:.3f}")',
    ),
    (["pipeline-metrics"], "print(accuracy)\nprint(loss)"),
]


def main() -> None:
    nb = new_notebook(
        metadata={
            # What JupyterLab writes when the python3 kernel (ipykernel) starts: a notebook saved without it
            # opens with unsaved changes. The version is the Python this script runs with (the .venv's).
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {
                "name": "python",
                "version": sys.version.split()[0],
                "mimetype": "text/x-python",
                "codemirror_mode": {"name": "ipython", "version": 3},
                "pygments_lexer": "ipython3",
                "nbconvert_exporter": "python",
                "file_extension": ".py",
            },
            "ai4mlops_lab": {"pipeline_name": "torch-train", "description": "Train and evaluate a small MLP"},
        }
    )
    for tags, source in CELLS:
        nb.cells.append(new_markdown_cell(source) if tags is None else new_code_cell(source, metadata={"tags": tags}))
    nbformat.write(nb, Path(__file__).with_name("torch-train.ipynb"))


if __name__ == "__main__":
    main()
