"""Bearer tokens of the private HTTP API: what a token is (:mod:`.model`) and where they are
kept (:mod:`.ports`). The use cases are in :mod:`commsbot.services.tokens`."""
