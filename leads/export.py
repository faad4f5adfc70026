"""Consultation requests as a CSV file that opens correctly in a spreadsheet.

Used by `make leads CSV=...` and by the staff console's export. Three things make it
safe and readable in Excel and its kin:

* a UTF-8 byte order mark, so "Zoë Müller" is not shown as "ZoÃ« MÃ¼ller";
* times in the clinic's time zone (leads.yml: time_zone), named in their own column;
* no cell a spreadsheet would run as a formula: visitors' text is shown, never run
  (leads/spreadsheet.py, shared with `make report CSV=`).
"""
import csv
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import IO

from leads.details import ConsultationRequest
from leads.spreadsheet import private_file, spreadsheet_safe

CSV_COLUMNS = ["id", "received_at", "time_zone", "name", "email", "phone", "preferred_time", "concern",
               "conversation_id"]
BOM = "\ufeff"

def local_time(received_at: datetime, zone: tzinfo) -> datetime:
    """A stored time (naive UTC) in the clinic's time zone."""
    return received_at.replace(tzinfo=timezone.utc).astimezone(zone)


def zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone.tzname(None) or zone)


def write_csv_to(file: IO[str], requests: Iterable[ConsultationRequest], zone: tzinfo,
                 statuses: Mapping[int, str] | None = None) -> int:
    """Writes the BOM, a header and one row per request (plus a status column when
    ``statuses`` is given); returns how many rows."""
    file.write(BOM)
    writer = csv.writer(file)
    writer.writerow(CSV_COLUMNS + (["status"] if statuses is not None else []))
    rows = 0
    for r in requests:
        assert r.id is not None and r.received_at is not None  # requests read from the store
        received = local_time(r.received_at, zone).strftime("%Y-%m-%d %H:%M:%S")  # a format Excel reads as a date
        writer.writerow([r.id, received, zone_name(zone)] + [spreadsheet_safe(v) for v in (
            r.name, r.contact.email or "", r.contact.phone or "", r.preferred_time, r.concern or "",
            r.conversation_id or "")] + ([statuses.get(r.id, "new")] if statuses is not None else []))
        rows += 1
    return rows


def write_csv(requests: Iterable[ConsultationRequest], path: Path, zone: tzinfo = timezone.utc) -> int:
    with private_file(path) as file:  # personal data: readable by its owner only
        return write_csv_to(file, requests, zone)
