"""The ``commsbot`` command line: :mod:`commsbot.cli.main` (``main()``) and one module per
feature. Importing this package imports nothing else, so each module stays cheap to load."""
