"""The desks: one per back end, each serving its customers' visits through the till's services
(kiosk.teller.Teller) on one protocol (kiosk.desks.base.Desk)."""
