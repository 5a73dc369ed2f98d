"""The HTTP server of ``commsbot run``: public status page, private API, alert intake, health.

- :mod:`.app`: ``create_app(...)``, the FastAPI application factory.
- :mod:`.server`: running it under uvicorn inside the bot's asyncio process.
- :mod:`.context`: what the routes need (built by ``commsbot.bootstrap.http_context``).

Its ``[http]`` section is :mod:`commsbot.http_config` (light: imported by
``commsbot.settings``). This file imports nothing.
"""
