"""The SQL store: every SQL statement of commsbot lives here, behind the ports.

- :mod:`.tables`: the SQLModel tables, one module per feature; :mod:`.mappers`: rows to and
  from the domain.
- One module per feature implements its repository port on the unit of work's session:
  :mod:`.incidents`, :mod:`.deliveries`, :mod:`.reminders`, :mod:`.alert_groups`,
  :mod:`.tokens`; :mod:`.operations` (``/readyz``, ``/metrics``) and :mod:`.statuspage` (the
  page's change marker) read outside units of work.
- :mod:`.uow`: ``SqlUnitOfWork`` and ``unit_of_work_factory(engine)``; :mod:`.session`: lost
  races become ``ConcurrentChange``.
- :mod:`.db`: ``make_engine``, ``upgrade``, revisions; :mod:`.health`: a database that cannot
  be used, in one sentence; ``migrations/``: Alembic.

Only the composition root (``commsbot.bootstrap``), the CLI, ``commsbot run`` and tests import
it; this file imports nothing, so ``import commsbot.store`` stays cheap.
"""
