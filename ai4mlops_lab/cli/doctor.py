"""`ai4mlops doctor`: the installation's health facts and what the cluster paths still need."""

from __future__ import annotations

import argparse
import json

from ..environment import cluster_gaps, health_facts


def add_commands(commands, parents: dict) -> None:
    doctor = commands.add_parser("doctor", help="check the installation and what the cluster paths need")
    doctor.add_argument("--json", action="store_true", help="print machine-readable JSON")
    doctor.set_defaults(handler=doctor_command)


def doctor_command(args: argparse.Namespace) -> int:
    """Print the health facts and what the cluster paths still need."""
    facts = health_facts()
    gaps = cluster_gaps(facts)
    if args.json:
        print(json.dumps({**facts, "cluster_gaps": gaps}, indent=2))
        return 0
    print(f"ai4mlops-lab {facts['ai4mlops_lab']}")
    for name, version in facts["versions"].items():
        print(f"  {name:<16} {version or 'not installed'}")
    print(f"  {'KFP host':<16} {'configured' if facts['kfp_host_configured'] else 'not configured'}")
    print(f"  {'kubeconfig':<16} {'found' if facts['kubeconfig_found'] else 'not found'}")
    print("Local backends (no cluster needed): ready")
    if gaps:
        print("For the cluster paths:")
        for gap in gaps:
            print(f"  - {gap}")
    else:
        print("Cluster paths: ready")
    return 0
