"""Consultation requests for clinic staff: list (newest first), export, delete.

    python -m leads                 list the requests, newest first
    python -m leads --csv FILE      ...and write them to a spreadsheet file
    python -m leads --delete ID     delete one request and its conversation (asks first;
                                    --yes: don't ask, for scripts)
    python -m leads --purge         only delete what is past the retention period (now; the action
                                    server also does it on its own schedule, leads/schedule.py)

Every run first deletes what is older than the retention period (leads.yml); storing a
request does too, and the action server does it on its own schedule (leads/schedule.py).
`make leads`, `make leads CSV=requests.csv`, `make leads DELETE=12 [YES=1]` and
`make leads PURGE=1` run it with the project's settings (LEADS_DB_URL, TRACKER_STORE_URL);
its messages then name the options as make's variables (docs/staff-commands.md).
"""
import argparse
import os
import re
import sys
from pathlib import Path
from typing import NoReturn, TextIO

from leads import retention
from leads.conversations import ConversationStore
from leads.details import ConsultationRequest
from leads.export import local_time, write_csv, zone_name
from leads.intake import conversation_store
from leads.settings import Settings, SettingsError, conversation_store_url, load
from leads.store import RequestStore

# `make leads` sets this, so that messages name what staff typed: DELETE=12, not --delete 12.
CALLED_FROM_MAKE = "LEADS_CALLED_FROM_MAKE"
MAKE_VARIABLES = {"--csv": "CSV", "--delete": "DELETE", "--purge": "PURGE", "--yes": "YES"}
USAGE_MAKE = "make leads [CSV=requests.csv | DELETE=<id> [YES=1] | PURGE=1]   (see: make help)"


def via_make() -> bool:
    return bool(os.environ.get(CALLED_FROM_MAKE))


def spelled(option: str) -> str:
    """``--delete`` as staff typed it: DELETE under make."""
    return MAKE_VARIABLES.get(option, option) if via_make() else option


def example(option: str, value: str) -> str:
    return f"{spelled(option)}={value}" if via_make() else f"{option} {value}"


class StaffArgumentParser(argparse.ArgumentParser):
    """argparse, with one-line errors in the words staff typed, and exit status 2."""

    def error(self, message: str) -> NoReturn:
        if via_make():  # "argument --delete: 'abc' is not..." -> "'abc' is not..." (make passed the value)
            message = re.sub(r"^argument --[a-z]+: ", "", message)
        message = re.sub(r"--[a-z]+", lambda option: spelled(option.group(0)), message)
        usage = USAGE_MAKE if via_make() else f"{self.prog} --help"
        self.exit(2, f"error: {message}\nUsage: {usage}\n")


def positive_id(text: str) -> int:
    if not text.strip():
        raise argparse.ArgumentTypeError(f"give the number of the request to delete, e.g. {example('--delete', '12')}")
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a request number: give the number `make leads` shows, e.g. {example('--delete', '12')}")
    return int(text)


def csv_file(text: str) -> Path:
    path = Path(text)
    if not text.strip():
        raise argparse.ArgumentTypeError(f"give a file name to export to, e.g. {example('--csv', 'requests.csv')}")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: give a file name, e.g. {text.rstrip('/')}/requests.csv")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"there is no folder {path.parent} to write {path.name} in")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = StaffArgumentParser(prog="python -m leads", description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=csv_file, metavar="FILE", help="also write the requests to this CSV file")
    parser.add_argument("--delete", type=positive_id, metavar="ID", help="delete this request and its conversation")
    parser.add_argument("--yes", action="store_true", help="with --delete: delete without asking")
    parser.add_argument("--purge", action="store_true", help="only delete what is past the retention period")
    parser.add_argument("--settings", type=Path, help="settings file (default: LEADS_SETTINGS or leads.yml)")
    args = parser.parse_args(argv)
    chosen = [option for option, given in [("--csv", args.csv), ("--delete", args.delete), ("--purge", args.purge)]
              if given]
    if len(chosen) > 1:
        parser.error(f"{' and '.join(chosen)} don't go together: give one at a time")
    if args.yes and not args.delete:
        parser.error("--yes only goes with --delete (it deletes without asking first)")
    return args


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
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
        return delete(store, conversations, args.delete, args.yes, out)
    requests = store.newest_first()
    print_requests(requests, settings, out)
    if args.csv:
        try:
            write_csv(requests, args.csv, settings.time_zone)
        except OSError as error:
            print(f"error: could not write {args.csv}: {error.strerror or error}", file=sys.stderr)
            return 1
        print(f"\nWrote {len(requests)} request(s) to {args.csv}", file=out)
    return 0


def confirmed(request: ConsultationRequest, out: TextIO) -> bool:
    """Whether the person at the terminal says yes to deleting ``request``."""
    print(f"Request #{request.id}, received {request.received_at:%Y-%m-%d %H:%M} UTC, from {request.name}.", file=out)
    print("Delete it and its conversation? This cannot be undone. [y/N] ", end="", file=out, flush=True)
    try:
        answer = input()
    except (EOFError, KeyboardInterrupt):
        print(file=out)
        return False
    return answer.strip().lower() in ("y", "yes")


def delete(store: RequestStore, conversations: ConversationStore | None, request_id: int, without_asking: bool,
           out: TextIO) -> int:
    request = store.get(request_id)
    if request is None:
        print(f"error: there is no consultation request #{request_id} (see `make leads`)", file=sys.stderr)
        return 1
    if not without_asking:
        if not sys.stdin.isatty():
            print(f"error: deleting request #{request_id} needs a yes, and there is no terminal to ask in. "
                  f"To delete without asking, add {example('--yes', '1') if via_make() else '--yes'}.", file=sys.stderr)
            return 2
        if not confirmed(request, out):
            print("Nothing was deleted.", file=out)
            return 0  # the person at the terminal decided: nothing failed
    deleted = retention.delete_request(store, conversations, request_id)
    if deleted is None:  # the retention purge of another process got there first
        print(f"error: there is no consultation request #{request_id} (see `make leads`)", file=sys.stderr)
        return 1
    if conversations is None:
        print(f"Deleted request #{request_id}. No conversation store is configured (TRACKER_STORE_URL), "
              f"so its conversation was not deleted.", file=out)
        return 0
    print(f"Deleted request #{request_id} and its conversation ({deleted.events} event(s)).", file=out)
    return 0


def retention_periods(settings: Settings) -> str:
    if settings.chat_retention_days in (None, settings.retention_days):
        return f"{settings.retention_days} days"
    return f"{settings.retention_days} days ({settings.chat_retention_days} for chats without a request)"


def print_requests(requests: list[ConsultationRequest], settings: Settings, out: TextIO) -> None:
    kept = f"kept for {settings.retention_days} days"
    if not requests:
        print(f"No consultation requests ({kept}).", file=out)
        return
    print(f"Consultation requests, newest first ({len(requests)}, {kept}):", file=out)
    for request in requests:
        assert request.received_at is not None  # requests read from the store
        received = local_time(request.received_at, settings.time_zone)
        print(f"\n#{request.id}  received {received:%Y-%m-%d %H:%M} {zone_name(settings.time_zone)}", file=out)
        for label, value in [
            ("name", request.name), ("email", request.contact.email), ("phone", request.contact.phone),
            ("preferred time", request.preferred_time), ("concern", request.concern),
        ]:
            print(f"    {label + ':':16}{value or '-'}", file=out)
    print("\nExport: make leads CSV=requests.csv    Delete one: make leads DELETE=<id>", file=out)
