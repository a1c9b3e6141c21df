"""Write the IR as kfp's compiler writes `<pipeline>.pipeline.yaml`: its comment header, then the PipelineSpec
document and the platform document (when there is one), keys sorted.

The documents are dumped with libyaml (PyYAML's C emitter, about 15x faster than the pure-Python one kfp
uses): the same documents with the same key order; long strings are folded at other places.
"""

from __future__ import annotations

import yaml

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_COMMENT_TYPES = {"STRING": "str", "NUMBER_INTEGER": "int", "NUMBER_DOUBLE": "float", "BOOLEAN": "bool"}


def ir_text(documents: list[dict], description: str) -> str:
    """The file's text from the IR's documents (the PipelineSpec first) and the pipeline's description."""
    return _header(documents[0], description) + yaml.dump_all(documents, Dumper=_DUMPER, sort_keys=True)


def _header(spec: dict, description: str) -> str:
    """kfp's comment header: name, description, and the pipeline's inputs with their defaults."""
    lines = ["# PIPELINE DEFINITION", f"# Name: {spec['pipelineInfo']['name']}"]
    if description:
        lines.append("# Description: " + "\n#              ".join(description.splitlines()))
    inputs = spec["root"].get("inputDefinitions")
    if inputs is not None:
        lines.append("# Inputs:")
        for name, body in sorted(inputs["parameters"].items()):
            line = f"#    {name}: {_COMMENT_TYPES[body['parameterType']]}"
            if "defaultValue" in body:
                default = body["defaultValue"]
                line += " [Default: " + (f"'{default}'" if isinstance(default, str) else str(default)) + "]"
            lines.append(line)
    return "\n".join(lines) + "\n"
