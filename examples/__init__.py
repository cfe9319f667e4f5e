"""The examples of the original spinoff, importable as ``spinoff.examples``.

``python -m spinoff.examples`` runs all three; see examples/README.md.
"""
