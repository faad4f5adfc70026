"""Chat with a running assistant in the terminal, over its REST channel (`make shell`).

    python scripts/terminal_chat.py [--url http://localhost:5005]

Type a message and press Enter. When a reply offers buttons they are numbered: type the
number to press one. /new starts a new conversation; /quit, Ctrl-D or Ctrl-C leaves.
Reads standard input line by line when it is not a terminal (`echo "hi" | make shell`).

It is a client like any other: it needs the server's REST channel (credentials.yml), and
it works the same against `make run`, a test server or a deployed replica.
"""
import argparse
import shutil
import sys
import textwrap
import uuid

import requests

HELP = "Type your question and press Enter. A number presses a button; /new starts over; /quit or Ctrl-D leaves."
TIMEOUT = 60  # seconds: the first message after start-up can be slow on a busy machine


class Unreachable(Exception):
    """The assistant did not answer at all (stopped, wrong port)."""


class Conversation:
    def __init__(self, url: str) -> None:
        self.webhook = url.rstrip("/") + "/webhooks/rest/webhook"
        self.sender = "shell-" + uuid.uuid4().hex[:12]
        self.buttons: list[dict] = []  # the buttons of the last reply, numbered from 1

    def send(self, text: str) -> list[dict]:
        """The bot's messages in reply to ``text`` (a typed message or a button's payload)."""
        try:
            reply = requests.post(self.webhook, json={"sender": self.sender, "message": text}, timeout=TIMEOUT)
        except requests.RequestException as failure:
            raise Unreachable(str(failure)) from None
        try:
            body = reply.json()
        except ValueError:
            body = None
        if not reply.ok:
            # The channels answer errors as {"error": ..., "message": "what to do"}.
            message = body.get("message") if isinstance(body, dict) else None
            return [{"text": f"(The assistant refused this message: {message or f'HTTP {reply.status_code}'})"}]
        return body if isinstance(body, list) else []


INDENT = " " * len("Assistant: ")


def wrapped(text: str, first: str) -> str:
    width = max(40, min(shutil.get_terminal_size().columns, 100))
    return "\n".join(
        textwrap.fill(paragraph, width, initial_indent=first if n == 0 else INDENT, subsequent_indent=INDENT)
        for n, paragraph in enumerate(text.splitlines() or [""])
    )


def show(messages: list[dict], conversation: Conversation, out) -> None:
    conversation.buttons = []
    for message in messages:
        if message.get("text"):
            print(wrapped(message["text"], "Assistant: "), file=out)
        buttons = message.get("buttons") or []
        if buttons:
            conversation.buttons = buttons
            # No-break spaces inside a button's label: lines break only between buttons.
            labels = [f"[{n}] {b.get('title', '')}".replace(" ", "\u00a0") for n, b in enumerate(buttons, 1)]
            print(wrapped("   ".join(labels), INDENT), file=out)
    out.flush()


def what_to_send(line: str, conversation: Conversation) -> str:
    """A typed number presses that button of the last reply; anything else is sent as typed."""
    if line.isdigit() and 1 <= int(line) <= len(conversation.buttons):
        button = conversation.buttons[int(line) - 1]
        return button.get("payload") or button.get("title", line)
    return line


def chat(url: str, interactive: bool, out=sys.stdout) -> int:
    conversation = Conversation(url)
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass
        print(f"Chatting with the assistant at {url}.\n{HELP}\n", file=out)
    while True:
        try:
            line = input("You: " if interactive else "").strip()
        except (EOFError, KeyboardInterrupt):
            if interactive:
                print(file=out)  # the prompt's line is left open
            break
        if not line:
            continue
        if line in ("/quit", "/exit", "/stop"):
            break
        if line == "/new":
            conversation = Conversation(url)
            print("(A new conversation.)", file=out)
            continue
        if not interactive:
            print(f"You: {line}", file=out)
        try:
            show(conversation.send(what_to_send(line, conversation)), conversation, out)
        except Unreachable:
            print(f"error: the assistant at {url} does not answer (has it stopped?). "
                  f"Start it with `make run`, then `make shell` again.", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(file=out)
            break
    if interactive:
        print("Bye.", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/terminal_chat.py", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:5005", help="the Rasa server (default: %(default)s)")
    args = parser.parse_args(argv)
    return chat(args.url, interactive=sys.stdin.isatty())


if __name__ == "__main__":
    sys.exit(main())
