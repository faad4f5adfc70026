"""Build the assistant's spaCy pipeline locally, reproducibly, with no downloads.

No pretrained English pipeline can be fetched here (and the copies on the package
index target other spaCy versions), so the pipeline is assembled from parts that
ship with spaCy itself:
  * spaCy's English tokenizer rules and lexical attributes (``spacy.blank("en")``,
    which gives ``LIKE_NUM`` for "3" and "three");
  * an EntityRuler for body areas, skin concerns and numbers, generated from
    ``actions/vocabulary.py`` (and so from the facts module).

A lookup lemmatizer (spacy-lookups-data) was tried and measured: as classifier
features, lemmas lowered held-out accuracy (94.3% vs 95.1%), so it is not built.

Usage: python scripts/build_spacy_pipeline.py OUTPUT_DIR
The output only changes when spaCy, the lookups or the vocabulary change.
"""
import shutil
import sys
from pathlib import Path

import spacy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from actions import vocabulary  # noqa: E402


def build() -> "spacy.language.Language":
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    nlp.initialize()
    ruler.add_patterns(vocabulary.entity_patterns())
    nlp.meta.update(
        {
            "name": "clinic_faq",
            "version": "1.0.0",
            "description": "Tokenizer and an EntityRuler for the micro-needling FAQ assistant.",
        }
    )
    return nlp


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: build_spacy_pipeline.py OUTPUT_DIR")
    output = Path(sys.argv[1])
    tmp = output.with_name(output.name + ".tmp")
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(tmp, ignore_errors=True)
    build().to_disk(tmp)
    shutil.rmtree(output, ignore_errors=True)
    tmp.rename(output)  # never leave a half-written pipeline behind
    print(f"spaCy pipeline written to {output}")


if __name__ == "__main__":
    main()
