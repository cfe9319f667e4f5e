"""``python -m spinoff.node``: the same command as ``spinoff-node``."""

from spinoff.node.cli import main

if __name__ == "__main__":
    main()
