"""Retrain a shipped model from its recipe: ``python -m tk_lessons.zoo NAME``.

    python -m tk_lessons.zoo --list
    python -m tk_lessons.zoo unet_radial64                 # trains, evaluates, writes weights + manifest
    python -m tk_lessons.zoo unet_radial64 --quick --no-save   # a smoke run in seconds
    python -m tk_lessons.zoo lab_nonoise --scale paper --device cuda --weights-dir paper_weights

Prints the test metrics that the manifest records (and, for a shipped model, the
numbers recorded there, for comparison). The recipes live in
:mod:`tk_lessons.zoo.recipes`, the training run in :mod:`tk_lessons.zoo.retrain`.
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from . import recipes, registry, retrain

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tk_lessons.zoo", description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", help="model name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the recipes and the shipped models")
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny data, one epoch per phase")
    parser.add_argument("--no-save", action="store_true", help="do not write weights or the manifest")
    parser.add_argument("--weights-dir", default=None, help="save there instead of the package's weights folder")
    parser.add_argument("--device", default=None, help="cpu (default) or cuda")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--progress", action="store_true", help="show progress bars")
    parser.add_argument("--scale", choices=("laptop", "paper"), default="laptop",
                        help="laboratory models (lab_*) only: the paper's setting (for a GPU) instead of the laptop's")
    parser.add_argument("--size", type=int, default=None,
                        help="laboratory models only: shrink the setting to this size (tests of the paper path)")
    args = parser.parse_args(argv)

    if args.list or not args.name:
        shipped = set(registry.available(args.weights_dir))
        for name, make in recipes.RECIPES.items():
            mark = "shipped" if name in shipped else "not trained yet"
            print(f"{name:26s} [{mark}] {(make.__doc__ or '').strip()}")
        return 0 if args.list else 2
    if args.name not in recipes.RECIPES:
        print(f"unknown model {args.name!r}; known: {', '.join(recipes.RECIPES)}", file=sys.stderr)
        return 2
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    recorded = None
    if args.name in registry.available(args.weights_dir):
        recorded = registry.info(args.name, weights_dir=args.weights_dir).get("metrics")
    if args.name not in recipes.LAB_MODELS and (args.scale != "laptop" or args.size is not None):
        parser.error(f"--scale and --size apply to the laboratory's models ({', '.join(recipes.LAB_MODELS)}), "
                     f"not to {args.name!r}")
    result = retrain.run(args.name, quick=args.quick, progress=args.progress, device=args.device,
                         save=not args.no_save, weights_dir=args.weights_dir, preset=args.scale, size=args.size)
    print(json.dumps({"name": args.name, "metrics": result.metrics}, indent=2, default=str))
    if recorded is not None:
        print(json.dumps({"previously_recorded": recorded}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
