"""Where things are, for the tests and their helpers: the checkout, the clinic's documents,
and the virtual environment's programs."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "sources"  # the clinic's documents, the ground truth of actions/facts.py
BIN = Path(sys.executable).parent  # the venv's rasa and python, as make runs them


def copy_built_models(project: Path) -> None:
    """What `make train` builds besides the model, for a copy of the project that trains or serves:
    the spaCy pipeline, and the sentence encoder (its weights linked, not copied: 90 MB; the
    embeddings already computed copied, so the copy's training encodes only what it adds)."""
    import shutil

    from hooks.sentence_encoder import ENCODER_DIR, FILES

    shutil.copytree(ROOT / "models" / "spacy", project / "models" / "spacy")
    encoder = project / "models" / ENCODER_DIR.name
    encoder.mkdir(parents=True)
    for name in FILES:
        (encoder / name).symlink_to(ENCODER_DIR / name)
    for saved in ENCODER_DIR.glob("*.npz"):
        shutil.copy2(saved, encoder / saved.name)
