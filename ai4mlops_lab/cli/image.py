"""`ai4mlops image`: build the step image of a notebook's pipeline and record it in the notebook."""

from __future__ import annotations

import argparse
import shlex


def add_commands(commands, parents: dict) -> None:
    image = commands.add_parser(
        "image",
        help="build an image with the packages of a notebook's steps, so cluster steps install nothing at start",
    )
    image.add_argument("notebook", help="the .ipynb file")
    image.add_argument(
        "-r",
        "--repository",
        help="image name without a tag, in a registry the cluster pulls from, e.g. registry.example.org/team/train "
        "(default: PIPELINE-steps, a local name); the tag is the build files' digest",
    )
    image.add_argument(
        "-o",
        "--output-dir",
        help="folder of the Dockerfile and requirements.txt: below the current one (default: PIPELINE-image/ next "
        "to the notebook)",
    )
    image.add_argument("--push", action="store_true", help="push the image after building it")
    image.add_argument(
        "--print-only", action="store_true", help="write the files and print the build commands, without running them"
    )
    image.add_argument("--overwrite", action="store_true", help="replace build files you edited")
    image.set_defaults(handler=image_command)


def image_command(args: argparse.Namespace) -> int:
    """Write the build files, build (or print how), then record the image in the notebook's metadata."""
    from pathlib import Path

    from .. import confined
    from ..errors import UserError
    from ..notebook.settings import STEP_IMAGE_KEY
    from ..notebook.writer import record_setting
    from ..pipeline import images
    from ..pipeline.compiler import notebook_pipeline
    from ..pipeline.packages import kfp_version
    from .compile import print_diagnostics

    notebook = Path(args.notebook)
    pipeline, diagnostics = notebook_pipeline(notebook)
    if any(d.severity == "error" for d in diagnostics):
        print_diagnostics([d.to_dict() for d in diagnostics])
        raise UserError(
            f"The notebook {notebook} has errors, so its steps' packages are not known.",
            "Fix the errors above, then run `ai4mlops image` again.",
        )
    plan = images.plan_step_image(pipeline, args.repository or images.default_repository(pipeline), kfp_version())
    if args.output_dir:
        folder = confined.resolve(Path.cwd(), args.output_dir)
    else:
        folder = confined.resolve(notebook.parent, f"{pipeline.name}-image")
    for path in images.write_files(plan, folder, overwrite=args.overwrite):
        print(f"wrote {path}")
    tool = None if args.print_only else images.container_tool()
    if tool:
        images.run_commands(images.build_commands(plan, folder, tool, push=args.push))
        print(f"built {plan.image}" + (" and pushed it" if args.push else ""))
    else:
        if not args.print_only:
            print("no docker or podman here; build and push the image where one is:")
        for command in images.build_commands(plan, folder, "docker", push=True):
            print(f"  {shlex.join(command)}")
    record_setting(notebook, STEP_IMAGE_KEY, plan.record().to_dict())
    print(
        f"recorded {plan.image} in {notebook}: its {len(plan.packages)} packages are in the image, and the compiled "
        f"steps ({', '.join(plan.steps)}) install nothing at start on a cluster"
    )
    if tool and not args.push:
        print(f"push it where the cluster pulls from: {tool} push {plan.image}")
    return 0
