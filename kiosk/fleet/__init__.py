"""The kiosk's second tier: every till's journal shipped to head office's PostgreSQL.

    schema.py      the central schema, its versioned migrations and the server-side checks
    tilljournal.py the till's journal read read-only (no writer lock): batches to ship
    push.py        one push: ask the server what it acknowledged, ship the rest in batches
    shipper.py     the background shipper the runtime starts when fleet.dsn is set
    views.py       `fleet status` and `fleet report` (head office)
    settlement.py  what a back end says it did in a day (the SettlementSource interface)
    reconcile.py   the day's visits beside the back ends' settlement: every mismatch
    cli.py         `kiosk fleet init|push|status|report|reconcile`

Store-and-forward: the till never waits for the server; a push sends only rows the server has
not acknowledged, and the server's insert is idempotent on (till, chain, sequence), so a push
killed half-way or sent twice changes nothing but what was missing.
"""
