"""What the project's NLU components share: replacing the classifier's reading of a message,
and keeping what a component trained in the model."""
import pickle
from typing import Any

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def save_trained(model_storage: ModelStorage, resource: Resource, filename: str, trained: tuple) -> None:
    """Writes what a component trained into its part of the model."""
    with model_storage.write_to(resource) as directory:
        (directory / filename).write_bytes(pickle.dumps(trained))


def load_trained(model_storage: ModelStorage, resource: Resource, filename: str) -> Any:
    """What ``save_trained`` wrote (the model is the project's own: trusted like its code)."""
    with model_storage.read_from(resource) as directory:
        return pickle.loads((directory / filename).read_bytes())


def replace_intent(message: Message, intent: str) -> None:
    """Makes ``intent`` the message's reading, sure, ahead of the classifier's ranking (so
    FallbackClassifier, after these components, leaves it alone)."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
    chosen = {"name": intent, "confidence": 1.0}
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)


def drop_readings(message: Message, intents: set[str]) -> None:
    """Takes ``intents`` out of the message's reading: the classifier's next reading becomes the
    message's, with its own confidence (so FallbackClassifier still asks when it is unsure)."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") not in intents]
    if ranking:
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
