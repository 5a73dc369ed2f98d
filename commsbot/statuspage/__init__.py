"""The public status page: Statuspage v2 JSON, Atom/RSS, HTML, and a static export.

- :mod:`.data`: what the public may see (``load_public_data``) and the public ids.
- :mod:`.v2`, :mod:`.feeds`, :mod:`.html`: pure renderings of that data.
- :mod:`.snapshot`: everything rendered once per change (``PublicPages``), served from memory.
- :mod:`.export`: the same files on disk (``write_export``, ``StaticExportDestination``).

This file imports nothing, so ``import commsbot.statuspage`` stays cheap.
"""
