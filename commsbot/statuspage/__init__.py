"""The public status page's pure parts: Statuspage v2 JSON, Atom/RSS, HTML.

- :mod:`.data`: what the public may see (``PublicData``) and the public ids; it is read by
  :func:`commsbot.services.statuspage.load_public_data`.
- :mod:`.v2`, :mod:`.feeds`, :mod:`.html`: pure renderings of that data.
- :mod:`.snapshot`: every document rendered at once, ready to serve from memory.
- :mod:`.config`: ``[page]`` and the static export's keys.

The engine that keeps the page current is :mod:`commsbot.engines.statuspage`; the static
export is :mod:`commsbot.engines.static_export`. This file imports nothing.
"""
