"""Consultation requests: the staff side of "ask the clinic to contact me".

Plain Python (SQLAlchemy, no Rasa). The assistant's consultation form collects a
visitor's details; with their consent, ``intake.file_request`` stores them here.
Clinic staff list, export and delete them in the staff console (console/), or with
``python -m leads`` (``make leads``).

  details.py        what a request holds, and the checks on a visitor's details
  settings.py       leads.yml (retention, notification) and LEADS_DB_URL
  store.py          the requests table (SQLite by default, PostgreSQL when configured)
  conversations.py  deletes the matching conversations from Rasa's tracker store
  retention.py      deletes personal data older than the retention period, or a request on demand
  notify.py         tells the clinic a request arrived (webhook or email; off by default)
  export.py         the requests as CSV for spreadsheets (BOM, clinic time zone, no formulas)
  intake.py         store, purge, notify: what the assistant calls
  cli.py            python -m leads

Personal data is never logged here: log lines name request ids, never details.
"""
