"""Cashiers and supervisors: accounts, PINs, sign-in with lockout, approvals and limits.

UI-free and light to import (nothing heavy is imported here): the settings, the teller, the
command line and the UI each import the module they need (`kiosk.auth.pins`,
`kiosk.auth.accounts`, `kiosk.auth.guard`, `kiosk.auth.limits`)."""

# What a supervisor approves, as the teller checks it (an approval is for one action only).
LIMIT = "exceed a limit"
REVERSE = "reverse a withdrawal"
REPRINT = "reprint a receipt"
RESOLVE = "resolve a suspect visit"
VARIANCE = "close a shift with a variance"
CARD_STATUS = "block or unblock a gift card"
OVERRIDE = "verify a Flexiti customer by merchant override"
RESEAL = "reseal a journal that failed its check"
ACTIONS = (LIMIT, REVERSE, REPRINT, RESOLVE, VARIANCE, CARD_STATUS, OVERRIDE, RESEAL)
