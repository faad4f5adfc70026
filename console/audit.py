"""The audit log: who viewed, exported, changed or deleted which request, and when.

Append-only. The console has no route that changes or deletes an entry, and the
database refuses it too: triggers on SQLite and PostgreSQL abort any UPDATE or DELETE
on the table. Entries name staff (by email) and requests (by number); never a
visitor's details. Staff read it on the "Audit log" page.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sanic import Blueprint
from sanic.request import Request

from console.database import metadata, utc_now
from console.pages import render

audit_table = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),  # UTC
    sa.Column("staff", sa.String(254), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(80), nullable=False, default=""),
    sa.Column("detail", sa.String(200), nullable=False, default=""),
)

_REFUSE = "the audit log is append-only"
for _dialect, _ddl in [
    ("sqlite", f"CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
               f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END"),
    ("sqlite", f"CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
               f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END"),
    ("postgresql", f"CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger AS $$ "
                   f"BEGIN RAISE EXCEPTION '{_REFUSE}'; END $$ LANGUAGE plpgsql"),
    ("postgresql", "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()"),
]:
    sa.event.listen(audit_table, "after_create", sa.DDL(_ddl).execute_if(dialect=_dialect))


@dataclass(frozen=True)
class Entry:
    at: datetime  # UTC
    staff: str
    action: str
    target: str
    detail: str


def record(engine, staff: str, action: str, target: str = "", detail: str = "") -> None:
    with engine.begin() as connection:
        connection.execute(audit_table.insert().values(
            at=utc_now(), staff=staff, action=action, target=target[:80], detail=detail[:200]))


def newest(engine, limit: int = 200, offset: int = 0) -> list[Entry]:
    query = audit_table.select().order_by(audit_table.c.id.desc()).limit(limit).offset(offset)
    with engine.connect() as connection:
        return [Entry(r.at, r.staff, r.action, r.target, r.detail) for r in connection.execute(query)]


PAGE = 200
pages = Blueprint("audit")


@pages.get("/audit")
async def audit_page(request: Request):
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    entries = newest(request.app.ctx.db, PAGE + 1, (page - 1) * PAGE)
    return render(request, "audit.html", entries=entries[:PAGE], page=page, more=len(entries) > PAGE)
