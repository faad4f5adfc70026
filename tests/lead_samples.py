"""Sample consultation requests and leads.yml settings (tests/data/leads.yml), for the
leads package's tests and the staff commands' tests."""
import yaml

from leads import details
from paths import ROOT

SAMPLES = yaml.safe_load((ROOT / "tests" / "data" / "leads.yml").read_text(encoding="utf-8"))


def request_from(sample, conversation_id=None):
    return details.new_request(sample["name"], sample["contact"], sample["preferred_time"], sample.get("concern"),
                               conversation_id)


def write_settings(path, **overrides):
    settings = {"retention_days": 30, "notification": {"via": "off"}}
    settings.update(overrides)
    path.write_text(yaml.safe_dump(settings))
    return path
