"""Scheduled maintenance: windows announced ahead with approval, started and completed on time."""
