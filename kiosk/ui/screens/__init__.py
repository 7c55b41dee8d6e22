"""One screen per step of the cashier's journey; each shows its step and posts requests."""
