"""One measured fix to Rasa 3.6's serving path (serving/patches.py, 'response-validation').

Rasa validates every action-server response with ``jsonschema.validate(result, schema)``
(``RemoteAction._validate_action_result``). That function first re-checks the schema
itself against the JSON-Schema meta-schema, on every call, and Rasa's response schema
(every event type) is large: `bench/breakdown.py` and a profile showed it taking about
two thirds of a message's time (~19 of ~29 ms), whatever the NLU pipeline.

The fix validates against the very same schema with a validator compiled once; the
schema is still checked against the meta-schema, once, at start-up. Responses are
validated exactly as before and invalid ones raise the same error with the same hint.
"""
from collections.abc import Callable
from typing import Any

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


def compiled_response_validator():
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every response
    return validator_class(schema)


def validating_with_a_compiled_schema(rasa_validate: Callable) -> Callable:
    """Replaces RemoteAction._validate_action_result (Rasa's is `rasa_validate`)."""
    validator = compiled_response_validator()

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError as e:
            # The same message Rasa adds (rasa/core/actions/action.py).
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    return _validate_action_result
