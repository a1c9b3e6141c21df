"""`python -m ai4mlops_lab.cli`."""

import sys

from .main import main

sys.exit(main())
