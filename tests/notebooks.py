"""Build small tagged notebooks for tests."""

from pathlib import Path

import nbformat


def tagged_notebook(*cells: tuple[str, list[str]]) -> nbformat.NotebookNode:
    """A notebook of code cells, each given as (source, tags)."""
    nb = nbformat.v4.new_notebook()
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    return nb


#: Two steps passing an array, with a parameter and a metric.
TWO_STEPS = (
    ("import numpy as np", ["imports"]),
    ("scale = 2", ["pipeline-parameters"]),
    ("x = np.arange(5)", ["step:load"]),
    ("y = x * scale\ntotal = int(y.sum())", ["step:double"]),
    ("print(total)", ["pipeline-metrics"]),
)

#: A step reading a name that no cell defines.
UNDEFINED_NAME = (("y = x + 1", ["step:broken"]),)


def write_notebook(folder: Path, name: str, cells) -> Path:
    """Write a tagged notebook into `folder` and return its path."""
    path = folder / name
    nbformat.write(tagged_notebook(*cells), path)
    return path


#: A step that raises: the run must fail naming it, and the next step is skipped.
FAILING = (
    ("x = 1", ["step:ok"]),
    ("raise RuntimeError(f'boom in step after x={x}')", ["step:broken"]),
    ("y = 2", ["step:after", "prev:broken"]),
)

#: A step that sleeps long enough to be cancelled.
SLOW = (
    ("import time", ["imports"]),
    ("time.sleep(60)\nx = 1", ["step:slow"]),
)

#: Two independent steps of 1.5 s each, and a step that needs both.
PARALLEL = (
    ("import time", ["imports"]),
    ("time.sleep(1.5)\na = 1", ["step:left"]),
    ("time.sleep(1.5)\nb = 2", ["step:right"]),
    ("c = a + b", ["step:both"]),
)

#: A step that prints the command line of the process that started it.
PARENT = (
    ("import os\nprint('parent:', open(f'/proc/{os.getppid()}/cmdline').read().replace(chr(0), ' '))", ["step:who"]),
)


def dying(code: str):
    """A step that ends its own process with `code`, after a step that succeeds."""
    return (("x = 1", ["step:ok"]), (code, ["step:dies"]))


#: A step that prints, warns, then fails inside a function of the `functions` cell (cell 2, line 3) that it calls
#: from its own cell (cell 4, line 5); the step before it prints and ends on a quote.
HELPER_FAILS = (
    ("import math\nimport warnings", ["imports"]),
    ("def ratio(v):\n    '''Divide by zero, on purpose.'''\n    return math.sqrt(v) / 0", ["functions"]),
    ("x = 4\nprint('loaded', x)\nlabel = 'ok'", ["step:load"]),
    ("print('training on', x)\n\nwarnings.warn('careful')\n# the next line fails\ny = ratio(x)", ["step:train"]),
)

#: A step that prints a traceback it handled, then fails with an exception raised from another.
CHAINED_FAILURE = (
    (
        "import traceback\n"
        "try:\n"
        "    {}['a']\n"
        "except KeyError:\n"
        "    traceback.print_exc()\n"
        "print('recovered')\n"
        "try:\n"
        "    {}['b']\n"
        "except KeyError as missing:\n"
        "    raise ValueError('no b') from missing",
        ["step:chain"],
    ),
)

#: A data trigger's notebook: counts the lines of the file `data_path` names (0 for an s3:// URI, which the step does
#: not read) and the locations it was given (several in batch mode, newline-joined).
COUNTS_LINES = (
    ("import os", ["imports"]),
    ("data_path = ''", ["pipeline-parameters"]),
    (
        "locations = data_path.splitlines()\n"
        "files = len(locations)\n"
        "lines = sum(len(open(p).read().splitlines()) for p in locations if os.path.isfile(p))",
        ["step:count"],
    ),
    ("print(files)\nprint(lines)", ["pipeline-metrics"]),
)
