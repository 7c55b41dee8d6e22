"""`kiosk devices status | test-print | kick`: checks a store's IT person runs at the till."""

from __future__ import annotations

from datetime import datetime

from drivers.base import Align, CashDrawer, DrawerOutcome, PrintOutcome, QRCode, ReceiptDocument, ReceiptPrinter, Rule, TextLine
from kiosk.settings import Settings


def _describe(value: bool | None, yes: str, no: str) -> str:
    return "unknown" if value is None else (yes if value else no)


def run_device_action(action: str, printer: ReceiptPrinter, drawer: CashDrawer, settings: Settings) -> int:
    if action == "status":
        status = printer.check_health()
        print(f"printer  {settings.printer.driver} {settings.printer.port if settings.printer.driver == 'escpos' else ''}".rstrip())
        print(f"  power        {status.power.value}")
        print(f"  cover        {_describe(status.cover_open, 'open', 'closed')}")
        print(f"  paper        {'out' if status.paper_out else _describe(status.paper_near_end, 'near end', 'ok') if status.paper_out is not None else 'unknown'}")
        print(f"  error        {_describe(status.error, 'yes', 'no')}")
        print(f"  ready        {'yes' if status.ready else 'no: ' + status.problem()}")
        drawer_status = drawer.check_health()
        print(f"drawer   {settings.drawer.driver}")
        print(f"  sensor       {'yes' if drawer_status.has_sensor else 'none'}")
        print(f"  drawer       {_describe(drawer_status.open, 'open', 'closed')}")
        return 0 if status.ready and drawer_status.open is not True else 1
    if action == "test-print":
        document = ReceiptDocument(
            items=[
                TextLine(settings.store.name, bold=True, align=Align.CENTER),
                TextLine("TEST PRINT", bold=True, double=True, align=Align.CENTER),
                Rule(),
                TextLine(f"Terminal {settings.store.terminal_id}"),
                TextLine(datetime.now().strftime("%Y-%m-%d %H:%M:%S")),
                TextLine("£ € $ 0123456789"),
                QRCode("kiosk test print"),
            ]
        )
        printed = printer.print_receipt(document)
        print(f"test print: {printed.value}")
        return 0 if printed is PrintOutcome.PRINTED else 1
    if action == "kick":
        opened = drawer.open_drawer()
        print(f"drawer: {opened.value}")
        if opened is DrawerOutcome.NOT_OPENED:
            return 1
        if opened is DrawerOutcome.OPENED:
            timeout = settings.drawer.close_timeout
            print(f"close the drawer (waiting up to {timeout:g} s)...")
            closed = drawer.wait_for_drawer_close(timeout)
            print("drawer closed" if closed else "drawer left open")
            return 0 if closed else 1
        return 0
    raise ValueError(action)
