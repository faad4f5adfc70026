"""Consultation requests for clinic staff: list (newest first), export, delete.

    python -m leads                 list the requests, newest first
    python -m leads --csv FILE      ...and write them to a spreadsheet file
    python -m leads --delete ID     delete one request and its conversation
    python -m leads --purge         only delete what is past the retention period (for cron)

Every run first deletes what is older than the retention period (leads.yml); storing a
request does too, and `--purge` from cron makes sure it happens on quiet days as well.
`make leads`, `make leads CSV=requests.csv`, `make leads DELETE=12` and `make leads PURGE=1`
run it with the project's settings (LEADS_DB_URL, TRACKER_STORE_URL).
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional, TextIO

from leads import retention
from leads.details import ConsultationRequest
from leads.export import local_time, spreadsheet_safe, write_csv, zone_name  # noqa: F401 - spreadsheet_safe: kept importable here
from leads.intake import conversation_store
from leads.settings import Settings, SettingsError, conversation_store_url, load
from leads.store import RequestStore

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
    purged = retention.purge_expired(store, conversations, settings.retention_days)
    if purged.request_ids or purged.conversations or args.purge:
        print(f"Deleted after {settings.retention_days} days: {len(purged.request_ids)} request(s), "
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
        write_csv(requests, args.csv, settings.time_zone)
        print(f"\nWrote {len(requests)} request(s) to {args.csv}", file=out)
    return 0


def delete(store: RequestStore, conversations, request_id: int, out: TextIO) -> int:
    deleted = retention.delete_request(store, conversations, request_id)
    if deleted is None:
        print(f"error: there is no consultation request #{request_id} (see `make leads`)", file=sys.stderr)
        return 1
    if conversations is None:
        print(f"Deleted request #{request_id}. No conversation store is configured (TRACKER_STORE_URL), "
              f"so its conversation was not deleted.", file=out)
        return 0
    print(f"Deleted request #{request_id} and its conversation ({deleted.events} event(s)).", file=out)
    return 0


def print_requests(requests: List[ConsultationRequest], settings: Settings, out: TextIO) -> None:
    kept = f"kept for {settings.retention_days} days"
    if not requests:
        print(f"No consultation requests ({kept}).", file=out)
        return
    print(f"Consultation requests, newest first ({len(requests)}, {kept}):", file=out)
    for request in requests:
        received = local_time(request.received_at, settings.time_zone)
        print(f"\n#{request.id}  received {received:%Y-%m-%d %H:%M} {zone_name(settings.time_zone)}", file=out)
        for label, value in [
            ("name", request.name), ("email", request.contact.email), ("phone", request.contact.phone),
            ("preferred time", request.preferred_time), ("concern", request.concern),
        ]:
            print(f"    {label + ':':16}{value or '-'}", file=out)
    print("\nExport: make leads CSV=requests.csv    Delete one: make leads DELETE=<id>", file=out)
