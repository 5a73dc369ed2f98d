"""Every use case, one module per concept; each takes the dependencies (:class:`.deps.Deps`)
and a request, and runs in one unit of work from load to commit. Only use cases commit.

- :mod:`.incidents`, :mod:`.drafts`, :mod:`.corrections`, :mod:`.components`,
  :mod:`.alerts`, :mod:`.reminders`, :mod:`.deliveries`, :mod:`.tokens`: what people (and
  Alertmanager) do.
- :mod:`.statuspage`: what the public status page reads; :mod:`.results`: what the use cases
  return, and the one JSON shape every surface prints.
- :mod:`.dispatch`, :mod:`.reminder_firing`: the engines' transactions.
- :mod:`.outbox`, :mod:`.reminder_plans`, :mod:`.promises`: steps inside other use cases'
  transactions (they never commit).
- :mod:`.ports`: the unit of work and the incidents' repositories; :mod:`.deps`: ``Deps``.
"""
