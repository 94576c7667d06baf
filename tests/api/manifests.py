"""The manifest corpus (``tests/api/corpus``) as documents, for the tests that walk every manifest in it."""

from __future__ import annotations

from pathlib import Path

import yaml

CORPUS = Path(__file__).parent / "corpus"


def corpus_documents() -> list[dict]:
    """Every manifest of the corpus, in file order; of an update pair, the document that replaces."""
    documents = []
    for path in sorted(CORPUS.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                documents.append(document.get("update", document))
    return documents
