"""Consultation requests for clinic staff: list (newest first), export, delete.

    python -m leads                 list the requests, newest first
    python -m leads --csv FILE      ...and write them to a spreadsheet file
    python -m leads --delete ID     delete one request and its conversation
    python -m leads --purge         only delete what is past the retention period (now)

Every run first deletes what is older than the retention period (leads.yml); storing a
request does too, and the action server does it on its own schedule (leads/schedule.py).
`make leads`, `make leads CSV=requests.csv`, `make leads DELETE=12` and `make leads PURGE=1`
run it with the project's settings (LEADS_DB_URL, TRACKER_STORE_URL).
"""
import argparse
import csv
import sys
from pathlib import Path
from typing import List, Optional, TextIO

from leads import retention
from leads.details import ConsultationRequest
from leads.intake import conversation_store
from leads.settings import Settings, SettingsError, conversation_store_url, load
from leads.spreadsheet import private_file, spreadsheet_safe
from leads.store import RequestStore

CSV_COLUMNS = ["id", "received_at_utc", "name", "email", "phone", "preferred_time", "concern", "conversation_id"]


def positive_id(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a request id (a number like 12, as `make leads` lists)")
    return int(text)


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m leads", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--csv", type=Path, metavar="FILE", help="also write the requests to this CSV file")
    action.add_argument("--delete", type=positive_id, metavar="ID", help="delete this request and its conversation")
    action.add_argument("--purge", action="store_true", help="only delete what is past the retention period")
    parser.add_argument("--settings", type=Path, help="settings file (default: LEADS_SETTINGS or leads.yml)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None, out: TextIO = sys.stdout) -> int:
    args = parse_args(argv)
    try:
        settings = load(args.settings)
        store = RequestStore(settings.db_url)
        conversations = conversation_store(conversation_store_url())
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    purged = retention.purge_expired(store, conversations, settings.retention_days, settings.chat_retention_days)
    if purged.request_ids or purged.conversations or args.purge:
        print(f"Deleted after {retention_periods(settings)}: {len(purged.request_ids)} request(s), "
              f"{purged.conversations} conversation(s).", file=out)
    if args.purge:
        return 0
    if purged.request_ids or purged.conversations:
        print(file=out)
    if args.delete:
        return delete(store, conversations, args.delete, out)
    requests = store.newest_first()
    print_requests(requests, settings, out)
    if args.csv:
        write_csv(requests, args.csv)
        print(f"\nWrote {len(requests)} request(s) to {args.csv}", file=out)
    return 0


def delete(store: RequestStore, conversations, request_id: int, out: TextIO) -> int:
    deleted = store.delete(request_id)
    if deleted is None:
        print(f"error: there is no consultation request #{request_id} (see `make leads`)", file=sys.stderr)
        return 1
    if conversations is None:
        print(f"Deleted request #{request_id}. No conversation store is configured (TRACKER_STORE_URL), "
              f"so its conversation was not deleted.", file=out)
        return 0
    events = conversations.delete([deleted.conversation_id])
    print(f"Deleted request #{request_id} and its conversation ({events} event(s)).", file=out)
    return 0


def retention_periods(settings: Settings) -> str:
    if settings.chat_retention_days in (None, settings.retention_days):
        return f"{settings.retention_days} days"
    return f"{settings.retention_days} days ({settings.chat_retention_days} for chats without a request)"


def print_requests(requests: List[ConsultationRequest], settings: Settings, out: TextIO) -> None:
    kept = f"kept for {settings.retention_days} days"
    if not requests:
        print(f"No consultation requests ({kept}).", file=out)
        return
    print(f"Consultation requests, newest first ({len(requests)}, {kept}):", file=out)
    for request in requests:
        print(f"\n#{request.id}  received {request.received_at:%Y-%m-%d %H:%M} UTC", file=out)
        for label, value in [
            ("name", request.name), ("email", request.contact.email), ("phone", request.contact.phone),
            ("preferred time", request.preferred_time), ("concern", request.concern),
        ]:
            print(f"    {label + ':':16}{value or '-'}", file=out)
    print("\nExport: make leads CSV=requests.csv    Delete one: make leads DELETE=<id>", file=out)


def write_csv(requests: List[ConsultationRequest], path: Path) -> None:
    with private_file(path) as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for r in requests:
            writer.writerow([r.id, r.received_at.isoformat(timespec="seconds")] + [spreadsheet_safe(v) for v in (
                r.name, r.contact.email or "", r.contact.phone or "", r.preferred_time, r.concern or "",
                r.conversation_id or "")])

