"""A model loaded by Rasa as it is, and with some of serving/patches.py's changes: the tests of
those changes compare the two."""
from pathlib import Path

from serving import patches


def loaded_with_and_without(model_path: Path, names) -> tuple:
    """(Rasa's own agent, the agent loaded with the changes named), the changes undone after."""
    from rasa.core.agent import Agent

    rasas_own = Agent.load(str(model_path))
    changes = [patches.by_name(name) for name in names]
    patches.apply(changes)
    try:
        ours = Agent.load(str(model_path))
    finally:
        patches.undo(changes)
    return rasas_own, ours
