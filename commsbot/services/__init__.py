"""Use cases: each takes the dependencies and a request, and runs in one unit of work."""
