"""`python -m blueprint` runs the CLI."""

from blueprint.cli import main

main()
