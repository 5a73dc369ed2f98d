"""``python -m commsbot`` runs the CLI."""

from commsbot.cli.main import main

main()
