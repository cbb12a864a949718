"""Application services: each one use case of Rapport, over storage, email and the domain.

Every function takes the `Runtime` (database, mailer, renderer, mail settings, clock,
connectors, queue) first, then the tenant and what the use case needs; sessions are opened and
committed here, at the use case's boundary, never inside a repository.

- `sync`: pull one calendar through its connector, classify, store (`sync_calendar`).
- `policies`: the tenant's default and group policies as the other services read them.
- `planning`: turn upcoming meetings into nudge rows (`plan_upcoming`).
- `delivery`: send the nudges that are due, exactly once each (`deliver_due`).
- `relationships`: lapsed working relationships and each person's week, from past meetings.
- `weekly_reports`: write and send each person's weekly report (`send_weekly_reports`).

Nothing here imports `integrations`, `workers`, the API or the CLI: connectors arrive through
the runtime as the domain's `Connector` port.
"""
