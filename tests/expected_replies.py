"""What the assistant is expected to say: the conversations in tests/data/conversations.yml and
domain.yml's responses. Used by the conversation tests and the server reliability tests."""
import yaml

from paths import ROOT

CONVERSATIONS = yaml.safe_load((ROOT / "tests" / "data" / "conversations.yml").read_text(encoding="utf-8"))
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def response_text(name: str) -> str:
    return DOMAIN["responses"][name][0]["text"]
