"""What ``/readyz`` and ``/metrics`` ask the database, as a port (:mod:`.ports`); the store
answers it (``commsbot.store.operations``)."""
