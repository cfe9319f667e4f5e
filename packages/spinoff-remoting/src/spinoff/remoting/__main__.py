"""Command line of spinoff.remoting: ``python -m spinoff.remoting keygen DIR NAME``.

``keygen`` writes a CURVE key pair for `CurveKeys`. ``DIR/NAME.key`` contains
the public key and may be shared. ``DIR/NAME.key_secret`` contains both keys
and is readable only by its owner.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from spinoff.remoting._curve import generate_keys


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m spinoff.remoting",
        description="Tools for spinoff remoting.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser(
        "keygen",
        help="write a CURVE key pair as NAME.key and NAME.key_secret",
        description=(
            "Write a new CURVE key pair. Copy NAME.key to the nodes that should "
            "accept this one; keep NAME.key_secret on this node only."
        ),
    )
    keygen.add_argument(
        "directory", help="folder for the two files, created if missing"
    )
    keygen.add_argument("name", help="base name of the files, such as the node name")
    arguments = parser.parse_args(argv)

    try:
        public_file, secret_file = generate_keys(arguments.directory, arguments.name)
    except (OSError, RuntimeError) as exc:
        prefix = "python -m spinoff.remoting keygen: error"
        print(f"{prefix}: cannot write the key pair: {exc}", file=sys.stderr)
        return 1
    print(f"public key: {public_file}")
    print(f"secret key: {secret_file} (keep it private)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
