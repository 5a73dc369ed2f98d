"""commsbot: incident communications — drafted, approved by a second person, broadcast once."""

__version__ = "0.1.0"
