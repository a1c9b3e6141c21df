"""Static analysis of step code with `ast` (user code is never executed): names, data edges, diagnostics."""

from .dataflow import Flow, Output, StepFlow, analyze_flow
from .magics import strip_magics
from .names import analyze_code
from .special import Parameter, parse_metrics, parse_parameters

__all__ = [
    "Flow",
    "Output",
    "Parameter",
    "StepFlow",
    "analyze_code",
    "analyze_flow",
    "parse_metrics",
    "parse_parameters",
    "strip_magics",
]
