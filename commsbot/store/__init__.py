"""The SQL store: SQLModel tables, mappers to and from the domain, Alembic migrations.

Nothing outside the store imports it at module import time (the CLI imports it lazily, for
start-up speed), and this file imports nothing, so ``import commsbot.store`` stays cheap. The
public entry points live in submodules:

- :mod:`commsbot.store.db`: ``make_engine(url)``, ``default_database_url()``,
  ``upgrade(url_or_engine)``, ``current_revision``, ``head_revision``, ``is_up_to_date``.
- :mod:`commsbot.store.uow`: ``SqlUnitOfWork(engine)`` and ``unit_of_work_factory(engine)``.

Typical wiring::

    from commsbot.store.db import make_engine, upgrade
    from commsbot.store.uow import unit_of_work_factory

    engine = make_engine(settings.database_url)
    upgrade(engine)
    uow = unit_of_work_factory(engine)  # Callable[[], UnitOfWork]
"""
