"""serving/speedups.py validates action-server responses exactly as Rasa does, only faster
(serving/patches.py, 'response-validation')."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from serving import patches

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]},
    {"events": [{"event": "bot", "text": "hi", "data": {}}]},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": "nope"},
]


@pytest.fixture
def patched():
    change = patches.by_name("response-validation")
    rasas_own = RemoteAction._validate_action_result
    patches.apply([change])
    assert RemoteAction._validate_action_result is not rasas_own
    yield RemoteAction(name="action_x", action_endpoint=None)
    change.undo()
    assert RemoteAction._validate_action_result is rasas_own


@pytest.mark.parametrize("response", VALID + INVALID)
def test_same_verdict_as_rasas_own_validation(patched, response):
    schema = RemoteAction.action_response_format_spec()
    try:
        jsonschema.validate(response, schema)
        expected_valid = True
    except jsonschema.ValidationError:
        expected_valid = False
    if expected_valid:
        assert patched._validate_action_result(response) is True
    else:
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            patched._validate_action_result(response)
    assert expected_valid is (response in VALID)

