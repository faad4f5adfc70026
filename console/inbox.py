"""Consultation requests for staff: the inbox, a request's page, status, export, delete.

The requests live in leads' database (LEADS_DB_URL) and are read and deleted through the
``leads`` package, exactly as `make leads` does: the same retention purge before listing,
the same deletion of a request with its conversation, the same formula-safe CSV. The
console adds a status (new, contacted, closed), kept in its own database with the
request's number and arrival time (a number alone could be reused after a deletion).
Every view, export, change and deletion goes into the audit log, by request number.
"""
import io
import logging
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sanic import Blueprint, response
from sanic.request import Request

from console import audit
from console.database import metadata, utc_now
from console.pages import error_page, render
from console.transcript import conversations, transcript
from leads import retention
from leads.details import ConsultationRequest
from leads.export import write_csv_to
from leads.intake import request_store
from leads.settings import SettingsError

logger = logging.getLogger(__name__)

STATUSES = ("new", "contacted", "closed")

status_table = sa.Table(
    "request_status",
    metadata,
    sa.Column("request_id", sa.Integer, primary_key=True),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("changed_by", sa.String(254), nullable=False),
)


def statuses(engine, requests: Iterable[ConsultationRequest]) -> dict[int, str]:
    """Each request's status ("new" unless staff changed it)."""
    requests = list(requests)
    with engine.connect() as connection:
        rows = {r.request_id: r for r in connection.execute(status_table.select().where(
            status_table.c.request_id.in_([q.id for q in requests])))}
    return {q.id: rows[q.id].status if q.id in rows and rows[q.id].received_at == q.received_at else "new"
            for q in requests}


def set_status(engine, request: ConsultationRequest, status: str, staff: str) -> None:
    with engine.begin() as connection:
        connection.execute(status_table.delete().where(status_table.c.request_id == request.id))
        connection.execute(status_table.insert().values(
            request_id=request.id, received_at=request.received_at, status=status, changed_at=utc_now(),
            changed_by=staff))


def forget_status(engine, request_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(status_table.delete().where(status_table.c.request_id == request_id))


class Stores:
    """leads' stores, with the current leads.yml (edits apply without a restart)."""

    def __init__(self, request: Request):
        self.settings = request.app.ctx.leads_settings()
        self.requests = request_store(self.settings.db_url)
        self.conversations = conversations()


pages = Blueprint("inbox")


def _stores_or_error(request: Request):
    try:
        return Stores(request), None
    except SettingsError as error:
        logger.error("The consultation requests' settings are wrong: %s", error)
        return None, error_page(request, 500, "Settings problem", f"The consultation requests' settings are wrong: "
                                f"{error}")


def _staff(request: Request) -> str:
    return request.ctx.session.email


@pages.get("/")
async def home(request: Request):
    return response.redirect("/requests")


@pages.get("/requests")
async def inbox(request: Request):
    stores, failed = _stores_or_error(request)
    if failed:
        return failed
    retention.purge_expired(stores.requests, stores.conversations, stores.settings.retention_days)
    everything = stores.requests.newest_first()
    status_of = statuses(request.app.ctx.db, everything)
    shown_status = request.args.get("status") if request.args.get("status") in STATUSES else None
    shown = [r for r in everything if shown_status in (None, status_of[r.id])]
    counts = {s: sum(1 for r in everything if status_of[r.id] == s) for s in STATUSES}
    return render(request, "requests.html", requests=shown, status_of=status_of, counts=counts, total=len(everything),
                  shown_status=shown_status, statuses=STATUSES, retention_days=stores.settings.retention_days,
                  deleted=request.args.get("deleted", ""))


@pages.get("/requests/export.csv")
async def export(request: Request):
    stores, failed = _stores_or_error(request)
    if failed:
        return failed
    everything = stores.requests.newest_first()
    status_of = statuses(request.app.ctx.db, everything)
    shown_status = request.args.get("status") if request.args.get("status") in STATUSES else None
    shown = [r for r in everything if shown_status in (None, status_of[r.id])]
    body = io.StringIO(newline="")
    write_csv_to(body, shown, stores.settings.time_zone, status_of)
    ids = ", ".join(f"#{r.id}" for r in shown)
    audit.record(request.app.ctx.db, _staff(request), "exported", f"{len(shown)} request(s)", ids)
    filename = f"consultation-requests-{datetime.now(stores.settings.time_zone):%Y-%m-%d}.csv"
    return response.raw(body.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _find(request: Request, stores: Stores, request_id: int):
    found = stores.requests.get(request_id)
    if found is None:
        return None, error_page(request, 404, "No such request", f"There is no consultation request #{request_id}. "
                                f"It may have been deleted, or removed after the retention period.")
    return found, None


@pages.get("/requests/<request_id:int>")
async def detail(request: Request, request_id: int):
    stores, failed = _stores_or_error(request)
    if failed:
        return failed
    found, missing = _find(request, stores, request_id)
    if missing:
        return missing
    db = request.app.ctx.db
    audit.record(db, _staff(request), "viewed", f"request #{request_id}")
    return render(request, "request.html", item=found, current_status=statuses(db, [found])[found.id],
                  statuses=STATUSES,
                  lines=transcript(stores.conversations, found.conversation_id),
                  has_store=stores.conversations is not None, changed=request.args.get("changed", ""))


@pages.post("/requests/<request_id:int>/status")
async def change_status(request: Request, request_id: int):
    stores, failed = _stores_or_error(request)
    if failed:
        return failed
    found, missing = _find(request, stores, request_id)
    if missing:
        return missing
    new_status = request.form.get("status")
    if new_status not in STATUSES:
        return error_page(request, 400, "Unknown status", f"The status must be one of: {', '.join(STATUSES)}.")
    db = request.app.ctx.db
    old_status = statuses(db, [found])[found.id]
    set_status(db, found, new_status, _staff(request))
    audit.record(db, _staff(request), "changed status", f"request #{request_id}", f"{old_status} -> {new_status}")
    return response.redirect(f"/requests/{request_id}?changed={new_status}")


@pages.get("/requests/<request_id:int>/delete")
async def confirm_delete(request: Request, request_id: int):
    stores, failed = _stores_or_error(request)
    if failed:
        return failed
    found, missing = _find(request, stores, request_id)
    return missing or render(request, "confirm_delete.html", item=found)


@pages.post("/requests/<request_id:int>/delete")
async def delete(request: Request, request_id: int):
    stores, failed = _stores_or_error(request)
    if failed:
        return failed
    deleted: retention.Deleted | None = retention.delete_request(stores.requests, stores.conversations, request_id)
    if deleted is None:
        return error_page(request, 404, "No such request", f"There is no consultation request #{request_id}: "
                          f"it was deleted already, or removed after the retention period.")
    db = request.app.ctx.db
    forget_status(db, request_id)
    audit.record(db, _staff(request), "deleted", f"request #{request_id}",
                 f"with its conversation ({deleted.events} event(s))")
    logger.info("Staff deleted consultation request #%s and its conversation", request_id)
    return response.redirect(f"/requests?deleted={request_id}")
