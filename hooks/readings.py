"""What the project's NLU components share: replacing the classifier's reading of a message."""
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def replace_intent(message: Message, intent: str) -> None:
    """Makes ``intent`` the message's reading, sure, ahead of the classifier's ranking (so
    FallbackClassifier, after these components, leaves it alone)."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
    chosen = {"name": intent, "confidence": 1.0}
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)
