"""Where things are, for the tests and their helpers: the checkout, the clinic's documents,
and the virtual environment's programs."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "sources"  # the clinic's documents, the ground truth of actions/facts.py
BIN = Path(sys.executable).parent  # the venv's rasa and python, as make runs them
