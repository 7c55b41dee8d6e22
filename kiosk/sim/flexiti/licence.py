"""Driver's licence scans: the text a PDF417 reader types from the back of a licence.

The format is the AAMVA card design standard as Canadian and US licences use it: a header
(`@`, LF, RS, CR, `ANSI ` + issuer number + version + subfile count + subfile directory), then
one element per line, each a three-letter code and its value:

    DAQ licence number     DCS family name      DAC first name      DAD middle name(s)
    DBB date of birth      DBA expiry           DAG street          DAI city
    DAJ province / state   DAK postal code      DCG country (CAN / USA)
    DCT given names (older versions: first and middle together)
    DAA full name (oldest versions: LAST,FIRST,MIDDLE)

Dates are YYYYMMDD on Canadian cards and MMDDYYYY on US cards. Only what the Flexiti
driverslicense endpoint answers with is extracted; the decoder is tolerant of CR/LF mixes,
reader prefixes and the first element sharing the header line (as in Flexiti's own example).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# The subfile directory ends with "DL" or "ID" + 4-digit offset + 4-digit length; the first
# element follows the last subfile designator on the same line.
_FIRST_ELEMENT = re.compile(r"(?:DL|ID)[0-9]{8}(?:ZO[0-9]{8})*(?:DL|ID)([A-Z]{3}.*)$")
_ELEMENT = re.compile(r"^([A-Z]{3})(.*)$")
_HEADER = re.compile(r"ANSI\s?[0-9]{6}")
_DIRECTORY_LINE = re.compile(r"^(?:ANSI\s?)?[0-9]{6}")


class LicenceError(ValueError):
    """The scan is not a driver's licence the decoder can read."""


@dataclass(frozen=True)
class LicenceData:
    first_name: str
    middle_name: str
    last_name: str
    dob: date
    licence_number: str
    expiry: date | None
    address_1: str
    city: str
    province: str
    postal_code: str
    country: str


def _elements(text: str) -> dict[str, str]:
    if not _HEADER.search(text):
        raise LicenceError("no AAMVA header")
    found: dict[str, str] = {}
    for raw in re.split(r"[\r\n\x1e]+", text):
        line = raw.strip()
        if not line or line == "@":
            continue
        if line == "ANSI":
            continue
        if _DIRECTORY_LINE.match(line):
            match = _FIRST_ELEMENT.search(line)
            if match is None:
                continue
            line = match.group(1)
        match = _ELEMENT.match(line)
        if match:
            found.setdefault(match.group(1), match.group(2).strip())
    return found


def _date(value: str, country: str) -> date | None:
    digits = re.sub(r"[^0-9]", "", value or "")  # ASCII only: int() would read '١٩٨٠' too
    if len(digits) != 8:
        return None
    try:
        if country != "USA" and 1900 <= int(digits[:4]) <= 2199:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        return date(int(digits[4:]), int(digits[:2]), int(digits[2:4]))
    except ValueError:
        return None


def _clean(value: str) -> str:
    value = " ".join((value or "").split())
    return "" if value.upper() in ("NONE", "UNAVL", "UNAVAILABLE") else value


def parse_licence(text: str) -> LicenceData:
    """The holder's name, date of birth and licence number; LicenceError when unreadable."""
    if not isinstance(text, str) or len(text) > 4000:
        raise LicenceError("not a licence scan")
    fields = _elements(text)
    country = _clean(fields.get("DCG", "")).upper()
    last = _clean(fields.get("DCS", ""))
    first = _clean(fields.get("DAC", ""))
    middle = _clean(fields.get("DAD", ""))
    if not first and fields.get("DCT"):
        given = re.split(r"[ ,]+", _clean(fields["DCT"]), maxsplit=1)
        first, middle = given[0], (given[1] if len(given) > 1 else "")
    if not last and fields.get("DAA"):
        parts = [p.strip() for p in re.split(r"[,$]", fields["DAA"])]
        last = parts[0] if parts else ""
        first = first or (parts[1] if len(parts) > 1 else "")
        middle = middle or (parts[2] if len(parts) > 2 else "")
    dob = _date(fields.get("DBB", ""), country)
    number = _clean(fields.get("DAQ", ""))
    if not (first and last and dob and number):
        raise LicenceError("the scan lacks a name, date of birth or licence number")
    return LicenceData(
        first_name=first,
        middle_name=middle,
        last_name=last,
        dob=dob,
        licence_number=number,
        expiry=_date(fields.get("DBA", ""), country),
        address_1=_clean(fields.get("DAG", "")),
        city=_clean(fields.get("DAI", "")),
        province=_clean(fields.get("DAJ", "")),
        postal_code=_clean(fields.get("DAK", "")),
        country=country or "CAN",
    )


def make_licence_scan(
    *,
    first_name: str,
    last_name: str,
    dob: date,
    licence_number: str,
    expiry: date,
    middle_name: str = "",
    address_1: str = "",
    city: str = "",
    province: str = "ON",
    postal_code: str = "",
) -> str:
    """The text a reader types for a Canadian licence with these details (for demo customers)."""
    elements = [
        f"DAQ{licence_number}",
        f"DCS{last_name.upper()}",
        f"DAC{first_name.upper()}",
        f"DAD{middle_name.upper() or 'NONE'}",
        f"DBB{dob:%Y%m%d}",
        f"DBA{expiry:%Y%m%d}",
        f"DAG{address_1.upper()}",
        f"DAI{city.upper()}",
        f"DAJ{province}",
        f"DAK{postal_code}",
        "DCGCAN",
    ]
    return "@\n\x1e\rANSI 636012090001DL00310219DL" + "\n".join(elements) + "\r"
