"""Intent accuracy on held-out visitor phrasings (tests/nlu_holdout.yml, never trained on)."""
from paths import ROOT
from trainer import holdout as evaluate_holdout
from trainer.validate import normalised

# The suite fails if held-out intent accuracy drops below this.
MIN_ACCURACY = 0.95


def test_holdout_is_not_in_the_training_data():
    training = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        training.update(normalised(text) for text, _ in evaluate_holdout.load_examples(path))
    leaked = [text for text, _ in evaluate_holdout.load_examples() if normalised(text) in training]
    assert not leaked, f"held-out phrasings also in training data: {leaked}"


def test_holdout_intent_accuracy(model_path):
    predictions = evaluate_holdout.predict(str(model_path))
    print(evaluate_holdout.report(predictions))
    assert evaluate_holdout.accuracy(predictions) >= MIN_ACCURACY, evaluate_holdout.report(predictions)
