"""``python -m commsbot`` runs the CLI."""

from commsbot.cli import main

main()
