"""The staff console: the clinic's staff work in a browser, not a shell.

A server-rendered Sanic app (Jinja2 templates, a little same-origin JavaScript, nothing
from another origin). `make run` starts it on CONSOLE_PORT (5006); staff accounts are
made with `make staff-account EMAIL=...`; docs/staff.md is the staff's guide.

  settings.py      CONSOLE_* and the other services' addresses, from the environment
  database.py      the console's own database (accounts, sessions, audit, statuses, labels)
  accounts.py      staff accounts (argon2), sign-in with slowing and lockout, sign-out;
                   `python -m console staff-account EMAIL`
  sessions.py      session cookies (HttpOnly, SameSite=Strict, Secure under https), idle
                   expiry, CSRF tokens
  audit.py         the append-only audit log: who viewed, exported, changed or deleted what
  inbox.py         consultation requests: list, status, detail with transcript, export, delete
  transcript.py    a conversation from Rasa's tracker store, as staff read it
  findings.py      what the assistant could not answer, or may have answered wrongly
  questions.py     those questions' pages, and the staff's labels on them
  review_export.py `python -m console review-export`: labelled questions as candidate
                   training examples, in a file a trainer checks (never into data/)
  widget_setup.py  the embed tag with its options, a live preview, the allowed origins
  health.py        model, action server, stores, last retention purge
  clinic_settings.py  leads.yml (retention, time zone, notification) edited in the browser;
                   secrets only shown as set or not
  app.py           the Sanic app: pages, sign-in required, CSRF, security headers
"""
