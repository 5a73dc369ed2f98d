"""The HTTP server of ``commsbot run``: public status page, private API, alert intake, health.

- :mod:`.config`: the ``[http]`` section (light: imported by ``commsbot.settings``).
- :mod:`.app`: ``create_app(...)``, the FastAPI application factory.
- :mod:`.server`: running it under uvicorn inside the bot's asyncio process.

This file imports nothing, so the settings and the CLI's help stay cheap to import.
"""
