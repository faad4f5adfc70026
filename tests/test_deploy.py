"""deploy/, run for real where this machine can: nginx (TLS, headers, what is public, rate
limits) in front of a running assistant, compose's nginx in front of a running staff
console (its own name, Secure cookies, the proxy headers it trusts), the PostgreSQL roles
script on a real server, the compose file's Redis configuration on a real redis-server, the
Rasa API's token from the environment, the systemd units through `systemd-analyze verify`,
and the backup script with a restore.

What cannot run here (no Docker, no systemd as PID 1, no public certificate): compose and
the units themselves. Their files are checked, and each part they start is run above.
"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
import yaml

import certs
import stores
from console_server import PASSWORD, csrf_token, staff_account, start_console
from paths import ROOT
from servers import embedded_env, free_port, rasa_server, stop, wait_until_ready

DEPLOY = ROOT / "deploy"
SINGLE_VM = DEPLOY / "single-vm"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yml").read_text())


def require(program: str, package: str) -> None:
    if not (shutil.which(program) or Path(program).exists()):
        reason = f"{program} is not installed (apt-get install {package})"
        if os.environ.get("CI"):
            pytest.fail(reason + "; .ci/run installs it")
        pytest.skip(reason)


# --- nginx ------------------------------------------------------------------------------

class Nginx:
    """One of deploy/'s nginx site files, with this machine's ports, certificate and paths
    put in place of the production ones, run by a real nginx in a folder of its own."""

    def __init__(self, site: Path, folder: Path, upstreams: dict, include: str, acme: str) -> None:
        self.folder, self.http_port, self.https_port = folder, free_port(), free_port()
        self.certificates = certs.make(folder / "certs")
        text = site.read_text()
        replacements = {
            "listen 80;": f"listen 127.0.0.1:{self.http_port};", "listen [::]:80;": "",
            "listen 443 ssl;": f"listen 127.0.0.1:{self.https_port} ssl;", "listen [::]:443 ssl;": "",
            include: str(DEPLOY / "nginx" / "assistant.conf"), acme: str(folder / "acme"),
            **upstreams,
        }
        for production, here in replacements.items():
            optional = production.startswith("listen [::]")  # IPv6 listens: the single machine's only
            assert optional or production in text, f"{site.name} no longer has {production!r}: update this test"
            text = text.replace(production, here)
        text = re.sub(r"ssl_certificate (\S+);", f"ssl_certificate {self.certificates.cert};", text)
        text = re.sub(r"ssl_certificate_key (\S+);", f"ssl_certificate_key {self.certificates.key};", text)
        (folder / "site.conf").write_text(text)
        (folder / "nginx.conf").write_text(f"""
            daemon off; worker_processes 1; pid {folder}/nginx.pid; error_log {folder}/error.log;
            events {{ worker_connections 256; }}
            http {{
                access_log off; default_type application/octet-stream;
                client_body_buffer_size 64k; proxy_max_temp_file_size 0;
                client_body_temp_path {folder}/tmp-body; proxy_temp_path {folder}/tmp-proxy;
                fastcgi_temp_path {folder}/tmp-fcgi; uwsgi_temp_path {folder}/tmp-uwsgi;
                scgi_temp_path {folder}/tmp-scgi;
                include {folder}/site.conf;
            }}""")
        self.process = None

    def test_config(self) -> subprocess.CompletedProcess:
        return subprocess.run([NGINX, "-t", "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")],
                              capture_output=True, text=True, timeout=30)

    def start(self) -> None:
        self.process = subprocess.Popen([NGINX, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{self.http_port}/", timeout=1, allow_redirects=False)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError((self.folder / "error.log").read_text())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def https(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"https://127.0.0.1:{self.https_port}{path}", timeout=30,
                                verify=str(self.certificates.ca), allow_redirects=False, **kwargs)


def single_vm_nginx(folder: Path, assistant_port: int) -> Nginx:
    return Nginx(SINGLE_VM / "nginx-site.conf", folder,
                 {"server 127.0.0.1:5005;": f"server 127.0.0.1:{assistant_port};",
                  "/etc/letsencrypt/live/chat.example-clinic.com/": ""},
                 include="/etc/nginx/snippets/clinic-assistant.conf", acme="/var/www/html")


def compose_nginx(folder: Path, rasa_ports: tuple[int, int], console_port: int) -> Nginx:
    """compose.conf as the nginx image runs it: ${CONSOLE_SERVER_NAME} filled in (localhost
    here, the assistant's name being 127.0.0.1), the services' names as this machine's ports."""
    return Nginx(DEPLOY / "nginx" / "compose.conf", folder, {
        "server rasa-1:5005": f"server 127.0.0.1:{rasa_ports[0]}",
        "server rasa-2:5005": f"server 127.0.0.1:{rasa_ports[1]}",
        "server console:5006;": f"server 127.0.0.1:{console_port};",
        "${CONSOLE_SERVER_NAME}": "localhost",
        "/etc/nginx/snippets/console.conf": str(DEPLOY / "nginx" / "console.conf"),
        "/etc/nginx/certs/": ""}, include="/etc/nginx/snippets/assistant.conf", acme="/var/www/acme")


@pytest.mark.parametrize("site", ["compose", "single-vm"])
def test_the_nginx_configurations_are_valid(site, tmp_path):
    require(NGINX, "nginx")
    if site == "compose":
        nginx = compose_nginx(tmp_path, (free_port(), free_port()), free_port())
    else:
        nginx = single_vm_nginx(tmp_path, free_port())
    result = nginx.test_config()
    assert result.returncode == 0, result.stderr
    assert "warn" not in result.stderr, result.stderr


@pytest.fixture(scope="module")
def proxy(assistant, tmp_path_factory):
    """The single-machine recipe's nginx in front of the test assistant."""
    require(NGINX, "nginx")
    nginx = single_vm_nginx(tmp_path_factory.mktemp("nginx"), int(assistant.url.rsplit(":", 1)[1]))
    nginx.start()
    yield nginx
    nginx.stop()


def test_plain_http_only_redirects_to_https(proxy):
    reply = requests.post(f"http://127.0.0.1:{proxy.http_port}/webhooks/widget/session", timeout=10,
                          allow_redirects=False)
    assert reply.status_code == 301 and reply.headers["Location"].startswith("https://")


def test_the_widget_works_over_tls_with_security_headers(proxy):
    session = proxy.https("POST", "/webhooks/widget/session").json()["session"]
    reply = proxy.https("POST", "/webhooks/widget/message", json={"session": session, "message": "does it hurt?"})
    assert reply.status_code == 200 and reply.json()["messages"]
    for response in (reply, proxy.https("GET", "/webhooks/widget/widget.js")):
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    demo = proxy.https("GET", "/webhooks/widget/demo")
    assert "frame-ancestors 'none'" in demo.headers["Content-Security-Policy"]


@pytest.mark.parametrize("method, path", [
    ("POST", "/webhooks/rest/webhook"), ("GET", "/version"), ("GET", "/domain"), ("GET", "/status"),
    ("GET", "/conversations/someone/tracker"), ("PUT", "/model"), ("GET", "/webhooks/rest/"),
])
def test_only_the_widget_is_public(proxy, method, path):
    reply = proxy.https(method, path, json={"sender": "x", "message": "hi"})
    assert reply.status_code == 404, (path, reply.status_code, reply.text[:200])


def test_nothing_names_the_software_or_its_version(proxy):
    import rasa

    root = proxy.https("GET", "/")
    assert root.status_code == 200 and root.text == "ok\n"
    for reply in (root, proxy.https("GET", "/nope"), proxy.https("GET", "/webhooks/widget/demo")):
        shown = reply.text + " ".join(f"{k}: {v}" for k, v in reply.headers.items())
        assert rasa.__version__ not in shown and "Rasa" not in shown and not re.search(r"nginx/\d", shown)


def test_bursts_from_one_address_are_limited_with_a_json_error(proxy):
    from concurrent.futures import ThreadPoolExecutor

    def history(_):  # an invalid body: the assistant refuses it at once (400) and spends no limit
        return proxy.https("POST", "/webhooks/widget/history", data="{}", headers={"Content-Type": "application/json"})

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(history, range(100)))
    statuses = {r.status_code for r in replies}
    assert statuses <= {400, 401, 429} and 429 in statuses, statuses
    limited = next(r for r in replies if r.status_code == 429)
    assert limited.json()["error"] == "rate_limited"


# --- The staff console behind compose's nginx ------------------------------------------------

class FromAddress(requests.adapters.HTTPAdapter):
    """Connects from another loopback address than nginx's (127.0.0.1), so that the address
    the console sees can be told apart from the proxy's."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


STAFF_ADDRESS = "127.0.0.5"


@pytest.fixture(scope="module")
def console_proxy(tmp_path_factory):
    """compose.conf's nginx in front of a real console run as compose runs it (behind one
    proxy, CONSOLE_URL https://), on its own name: https://localhost:<port>."""
    require(NGINX, "nginx")
    tmp = tmp_path_factory.mktemp("console-proxy")
    console_port = free_port()
    nginx = compose_nginx(tmp / "nginx", (free_port(), free_port()), console_port)
    trusted_proxies = COMPOSE["services"]["console"]["environment"]["SANIC_PROXIES_COUNT"]  # as compose runs it
    with start_console(tmp, CONSOLE_PORT=str(console_port), CONSOLE_URL=f"https://localhost:{nginx.https_port}",
                       SANIC_PROXIES_COUNT=trusted_proxies) as (url, env, log):
        assert staff_account(env, "reception@clinic.example").returncode == 0
        nginx.start()
        try:
            yield {"nginx": nginx, "url": f"https://localhost:{nginx.https_port}", "env": env, "log": log}
        finally:
            nginx.stop()


def console_client(console_proxy) -> requests.Session:
    client = requests.Session()
    client.trust_env = False  # REQUESTS_CA_BUNDLE would replace the test CA below
    client.verify = str(console_proxy["nginx"].certificates.ca)
    client.mount("https://", FromAddress(STAFF_ADDRESS))
    return client


@pytest.mark.server
def test_the_console_is_served_on_its_own_name_over_tls_with_secure_cookies_and_headers(console_proxy):
    client, url = console_client(console_proxy), console_proxy["url"]
    plain = requests.get(f"http://localhost:{console_proxy['nginx'].http_port}/requests", timeout=10,
                         allow_redirects=False)
    assert plain.status_code == 301 and plain.headers["Location"] == "https://localhost/requests"

    form = client.get(f"{url}/sign-in", timeout=10)
    assert form.status_code == 200 and "Sign in" in form.text
    signed_in = client.post(f"{url}/sign-in", timeout=30, allow_redirects=False, headers={"Origin": url}, data={
        "csrf_token": csrf_token(form.text), "email": "reception@clinic.example", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/requests"
    cookie = signed_in.headers["Set-Cookie"]
    assert "console_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie

    for reply in (form, client.get(f"{url}/settings", timeout=10), client.get(f"{url}/no-such-page", timeout=10)):
        assert reply.headers["Strict-Transport-Security"].startswith("max-age=")
        assert reply.raw.headers.getlist("X-Content-Type-Options") == ["nosniff"]  # one copy, not two
        assert "default-src 'self'" in reply.headers["Content-Security-Policy"]
        assert reply.headers["X-Frame-Options"] == "DENY" and reply.headers["Referrer-Policy"] == "same-origin"
        assert reply.headers["Cache-Control"] == "no-store"
        assert "Server" not in reply.headers or not re.search(r"nginx/\d|sanic", reply.headers["Server"], re.I)
    settings = client.get(f"{url}/settings", timeout=10)
    assert settings.status_code == 200 and "Save settings" in settings.text  # signed in, over the proxy

    # A form from the console's own page is accepted over the proxy; from another origin it is not.
    refused = client.post(f"{url}/sign-out", data={"csrf_token": csrf_token(settings.text)}, timeout=10,
                          headers={"Origin": f"https://127.0.0.1:{console_proxy['nginx'].https_port}"},
                          allow_redirects=False)
    assert refused.status_code == 403
    out = client.post(f"{url}/sign-out", data={"csrf_token": csrf_token(settings.text)}, timeout=10,
                      headers={"Origin": url}, allow_redirects=False)
    assert out.status_code == 302 and "Secure" in out.headers["Set-Cookie"]


@pytest.mark.server
def test_the_console_and_the_assistant_do_not_reach_each_other_through_the_proxy(console_proxy):
    nginx = console_proxy["nginx"]
    assert nginx.https("GET", "/sign-in").status_code == 404  # the assistant's name: no console there
    assert nginx.https("GET", "/").text == "ok\n"
    client = console_client(console_proxy)
    reply = client.get(f"{console_proxy['url']}/webhooks/rest/webhook", timeout=10, allow_redirects=False)
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/sign-in")  # the console's answer


@pytest.mark.server
def test_the_console_counts_failed_sign_ins_by_the_staff_members_address_not_a_forged_one(console_proxy):
    client, url = console_client(console_proxy), console_proxy["url"]
    form = client.get(f"{url}/sign-in", timeout=10)
    failed = client.post(f"{url}/sign-in", timeout=30, headers={"X-Forwarded-For": "203.0.113.9", "Origin": url},
                         data={"csrf_token": csrf_token(form.text), "email": "nobody@clinic.example",
                               "password": "not the password"})
    assert failed.status_code == 401
    engine = sa.create_engine(console_proxy["env"]["CONSOLE_DB_URL"])
    with engine.connect() as connection:
        keys = {row.key for row in connection.execute(sa.text("SELECT key FROM sign_in_failures"))}
    engine.dispose()
    assert f"address:{STAFF_ADDRESS}" in keys  # the client's, as nginx saw it
    assert "address:203.0.113.9" not in keys and "address:127.0.0.1" not in keys  # not forged, not the proxy's


# --- PostgreSQL: least-privilege roles ------------------------------------------------------

@pytest.fixture(scope="module")
def postgres():
    if stores.postgres_bindir() is None:
        require("initdb", "postgresql")
    server = stores.Postgres(free_port())
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.mark.services
def test_the_postgres_roles_give_each_server_only_what_it_needs(postgres):
    require("psql", "postgresql-client")
    env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(postgres.port), "POSTGRES_USER": "clinic",
           "POSTGRES_DB": "postgres", "RASA_DB_PASSWORD": "not-checked-under-trust-auth",
           "LEADS_DB_PASSWORD": "not-checked-under-trust-auth", "CONSOLE_DB_PASSWORD": "not-checked-under-trust-auth"}
    result = subprocess.run(["sh", str(DEPLOY / "postgres" / "init-roles.sh")], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    base = f"postgresql://{{}}@127.0.0.1:{postgres.port}/{{}}"
    rasa_url, leads_url = base.format("clinic_rasa", "conversations"), base.format("clinic_leads", "requests")
    leads_on_conversations = base.format("clinic_leads", "conversations")

    # The Rasa replicas: Rasa's own store creates its table and saves a conversation.
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker_store = SQLTrackerStore(Domain.empty(), dialect="postgresql", host="127.0.0.1", port=postgres.port,
                                    db="conversations", username="clinic_rasa")
    asyncio.run(tracker_store.save(DialogueStateTracker.from_events("visitor", [
        UserUttered("Ann Lee", {"name": "inform"}), SlotSet("visitor_name", "Ann Lee")])))

    # The action server: its requests, and the conversations to redact and delete.
    from leads import details
    from leads.conversations import ConversationStore
    from leads.store import RequestStore

    store = RequestStore(leads_url)
    store.add(details.new_request("Ann Lee", "ann@example.com", "mornings", None, "visitor"))
    conversations = ConversationStore(leads_on_conversations)
    assert conversations.scrub_details("visitor") == 2 and conversations.delete(["visitor"]) == 2

    assert refused(leads_on_conversations, "DROP TABLE events")
    assert refused(leads_on_conversations, "INSERT INTO events (sender_id, type_name) VALUES ('x', 'user')")
    assert refused(leads_on_conversations, "CREATE TABLE stolen (x int)")
    assert refused(rasa_url.replace("/conversations", "/requests"), "SELECT 1")  # no CONNECT to the requests
    assert refused(rasa_url, "CREATE ROLE intruder")
    assert not refused(rasa_url, "SELECT count(*) FROM events")

    # The staff console: its own database (the audit log's triggers included), the requests
    # and conversations to read and delete, nothing more.
    console_url, console_on = base.format("clinic_console", "console"), {
        db: base.format("clinic_console", db) for db in ("requests", "conversations")}
    from console import audit
    from console.database import open_database

    console_db = open_database(console_url)
    audit.record(console_db, "reception@clinic.example", "signed in")
    assert refused(console_url, "UPDATE audit_log SET staff = 'someone else'")  # append-only, for its owner too
    console_db.dispose()
    asyncio.run(tracker_store.save(DialogueStateTracker.from_events("visitor-2", [UserUttered("hello")])))
    second = store.add(details.new_request("Bo Kim", "bo@example.com", "evenings", None, "visitor-2"))
    requests_seen = RequestStore(console_on["requests"])
    assert [r.id for r in requests_seen.newest_first()] == [second.id, 1]
    from leads import retention

    assert retention.delete_request(requests_seen, ConversationStore(console_on["conversations"]), second.id)
    assert not refused(console_on["requests"], "SELECT count(*) FROM retention_purge")
    requests_seen.record_purge(0, 0)  # the purge the Requests page runs records itself
    for statement in ("UPDATE consultation_requests SET name = 'x'", "DROP TABLE consultation_requests",
                      "CREATE TABLE stolen (x int)", "ALTER TABLE consultation_requests ADD COLUMN y int"):
        assert refused(console_on["requests"], statement), statement
    for statement in ("UPDATE events SET data = '{}'", "INSERT INTO events (sender_id, type_name) VALUES ('x', 'user')",
                      "DROP TABLE events", "CREATE TABLE stolen (x int)"):
        assert refused(console_on["conversations"], statement), statement
    for role in ("clinic_rasa", "clinic_leads"):
        assert refused(base.format(role, "console"), "SELECT 1")  # no CONNECT to the console's database
    assert refused(console_url, "CREATE ROLE intruder")


def refused(url: str, statement: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement))
        return False
    except sa.exc.DBAPIError:
        return True
    finally:
        engine.dispose()


# --- Redis: the password never on a command line ---------------------------------------------

@pytest.mark.services
def test_the_redis_password_is_in_a_config_file_not_on_the_command_line(tmp_path):
    require("redis-server", "redis-server")
    import redis

    compose = yaml.safe_load((DEPLOY / "compose.yml").read_text())
    service = compose["services"]["redis"]
    assert "requirepass" not in str(service["command"]) and "-a " not in str(service["healthcheck"])
    password = "r3dis-" + os.urandom(12).hex()
    content = compose["configs"]["redis_conf"]["content"].replace("${REDIS_PASSWORD:?set it in .env}", password)
    assert password in content
    (tmp_path / "redis.conf").write_text(content)
    port = free_port()
    server = subprocess.Popen(["redis-server", str(tmp_path / "redis.conf"), "--port", str(port),
                               "--bind", "127.0.0.1", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        authorised = redis.Redis(host="127.0.0.1", port=port, password=password)
        deadline = time.time() + 20
        while True:
            try:
                assert authorised.ping()
                break
            except redis.ConnectionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(host="127.0.0.1", port=port).ping()
        assert password not in Path(f"/proc/{server.pid}/cmdline").read_bytes().decode(errors="replace")
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_every_compose_secret_is_in_the_example_env_and_each_service_gets_only_its_own():
    text = (DEPLOY / "compose.yml").read_text()
    needed = set(re.findall(r"\$\{(\w+):\?", text))
    example = {line.split("=", 1)[0] for line in (DEPLOY / "example.env").read_text().splitlines()
               if "=" in line and not line.startswith("#")}
    assert needed <= example, needed - example
    services = yaml.safe_load(text)["services"]
    actions = services["actions"]["environment"]
    assert "WIDGET_SECRET" not in actions and "REDIS_PASSWORD" not in actions
    for name, service in services.items():
        environment = str(service.get("environment", {}))
        if name != "postgres":
            assert "POSTGRES_PASSWORD" not in environment, name  # the superuser: the database's own
    assert "clinic_rasa" in services["rasa-1"]["environment"]["TRACKER_STORE_URL"]
    assert "clinic_leads" in actions["LEADS_DB_URL"] and "clinic_leads" in actions["TRACKER_STORE_URL"]
    console = services["console"]["environment"]
    assert all("clinic_console:${CONSOLE_DB_PASSWORD" in console[url]
               for url in ("CONSOLE_DB_URL", "LEADS_DB_URL", "TRACKER_STORE_URL"))
    for secret in ("WIDGET_SECRET", "REDIS_PASSWORD", "RASA_TOKEN", "LEADS_DB_PASSWORD", "RASA_DB_PASSWORD"):
        assert secret not in str(console), secret
    assert "CONSOLE_DB_PASSWORD" not in str({n: s.get("environment") for n, s in services.items()
                                             if n not in ("console", "postgres")})
    assert console["CONSOLE_URL"].startswith("https://") and "ports" not in services["console"]  # only via nginx


def test_no_secret_is_on_a_command_line():
    """`ps` shows every process's arguments to every user of the machine."""
    secrets = set(re.findall(r"\$\{(\w+):\?", (DEPLOY / "compose.yml").read_text())) - {
        "WIDGET_ALLOWED_ORIGINS", "ASSISTANT_HOST", "CONSOLE_SERVER_NAME"}
    assert {"RASA_TOKEN", "REDIS_PASSWORD", "CONSOLE_DB_PASSWORD"} <= secrets
    for name, service in COMPOSE["services"].items():
        shown = f"{service.get('command', '')} {service.get('healthcheck', {}).get('test', '')}"
        assert not [s for s in secrets if "${" + s in shown], name  # filled in by compose: the value itself
    rasa = COMPOSE["services"]["rasa-1"]
    assert "--enable-api" in rasa["command"] and "--auth-token" not in rasa["command"]
    assert rasa["environment"]["RASA_TOKEN"] == "${RASA_TOKEN:?set it in .env}"


def test_leads_yml_is_a_volume_the_console_changes_and_the_action_server_reads():
    services = COMPOSE["services"]
    mounts = {name: [v for v in service.get("volumes", []) if str(v).startswith("settings:")]
              for name, service in services.items()}
    assert mounts["console"] == ["settings:/srv/settings"]  # read-write: the Settings page
    assert mounts["actions"] == ["settings:/srv/settings:ro"]
    assert {name for name, found in mounts.items() if found} == {"console", "actions"}
    for name in ("console", "actions"):
        assert services[name]["environment"]["LEADS_SETTINGS"] == "/srv/settings/leads.yml"
    assert "settings" in COMPOSE["volumes"]
    # The image holds only the default the new volume starts from, owned by the services' user.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "cp leads.yml /srv/settings/leads.yml && chown -R assistant /srv/settings" in dockerfile
    assert dockerfile.index("/srv/settings") < dockerfile.index("USER assistant")


@pytest.mark.server
def test_the_rasa_api_takes_its_token_from_the_environment(model_path, tmp_path):
    """compose.yml's replicas: `--enable-api` and RASA_TOKEN in the environment. The API
    needs the token, and no command line shows it."""
    token = os.urandom(16).hex()
    port, log = free_port(), tmp_path / "rasa.log"
    env = embedded_env(free_port(), tmp_path / "conversations.db", RASA_TOKEN=token, MODEL_RELOAD_SECONDS="0")
    server = rasa_server(model_path, port, env, log, ["--enable-api"])
    try:
        wait_until_ready([f"http://127.0.0.1:{port}/"], [server], [log])
        assert requests.get(f"http://127.0.0.1:{port}/status", timeout=10).status_code == 401
        assert requests.get(f"http://127.0.0.1:{port}/status", params={"token": token}, timeout=10).status_code == 200
        assert token not in Path(f"/proc/{server.pid}/cmdline").read_bytes().decode(errors="replace")
    finally:
        stop([server])


# --- One machine: systemd units, backup and restore --------------------------------------------

def test_the_systemd_units_verify(tmp_path):
    require("systemd-analyze", "systemd")
    units = sorted(p for p in SINGLE_VM.iterdir() if p.suffix in (".service", ".target", ".timer"))
    assert {u.name for u in units} >= {"clinic-assistant-rasa.service", "clinic-assistant-actions.service",
                                        "clinic-assistant.target"}
    for unit in units:  # this checkout in place of /opt/clinic-assistant, so ExecStart exists
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/clinic-assistant", str(ROOT)))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *[u.name for u in units]], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    rasa = (SINGLE_VM / "clinic-assistant-rasa.service").read_text()
    assert "--interface 127.0.0.1" in rasa  # nginx is the only public side


def test_the_env_example_sets_every_variable_endpoints_yml_needs():
    needed = set(re.findall(r"\$\{(\w+)\}", (ROOT / "endpoints.yml").read_text()))
    example = (SINGLE_VM / "assistant.env.example").read_text()
    defined = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    assert needed <= defined, needed - defined


def test_a_backup_taken_while_the_assistant_writes_restores_whole(tmp_path):
    from leads import details
    from leads.store import RequestStore

    state, etc, backups = tmp_path / "state", tmp_path / "etc", tmp_path / "backups"
    state.mkdir(), etc.mkdir()
    (etc / "assistant.env").write_text("WIDGET_SECRET=kept\n")
    leads_url = f"sqlite:///{state / 'leads.db'}"
    saved = RequestStore(leads_url).add(details.new_request("Ann Lee", "ann@example.com", "mornings", None, "c1"))
    conversations = sqlite3.connect(state / "conversations.db", check_same_thread=False)
    conversations.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
    conversations.commit()
    writing = threading.Event()

    def write_while_backing_up():
        n = 0
        while not writing.is_set():
            conversations.execute("INSERT INTO events (sender_id, data) VALUES (?, ?)", (f"s{n}", "x" * 500))
            conversations.commit()
            n += 1

    writer = threading.Thread(target=write_while_backing_up)
    writer.start()
    try:
        result = subprocess.run(["sh", str(SINGLE_VM / "backup.sh"), str(backups)], capture_output=True, text=True,
                                timeout=120, env={**os.environ, "STATE_DIR": str(state), "ETC_DIR": str(etc),
                                                  "PYTHON": sys.executable})
    finally:
        writing.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    taken = Path(result.stdout.strip())
    assert taken.parent == backups and oct(taken.stat().st_mode)[-3:] == "700"
    assert sorted(p.name for p in taken.iterdir()) == ["assistant.env", "conversations.db", "leads.db"]

    # Restore, as docs/operators.md says: the files back into an empty state folder.
    restored = tmp_path / "restored"
    restored.mkdir()
    for name in ("conversations.db", "leads.db"):
        shutil.copy2(taken / name, restored / name)
    copy = sqlite3.connect(restored / "conversations.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM events").fetchone()[0] > 0
    copy.close()
    assert [r.id for r in RequestStore(f"sqlite:///{restored / 'leads.db'}").newest_first()] == [saved.id]
