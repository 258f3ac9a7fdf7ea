"""The question → Cypher example bank: mining, storage, retrieval, and a generator that uses it.

An example is a question *template* (the linked entity masked as ``[ENTITY]``) with a parameterised
Cypher query (``$entity``) that answers it. Examples come from two places:

- hand-written files (``cypher/examples/corpus.jsonl`` for the sample-corpus ontology);
- mining (``kgqa examples mine --qa FILE``): for question/answer pairs over an existing graph, the
  relation paths (up to 3 hops, any direction) from the question's entity to its gold answers are
  found with bounded Cypher path queries, each path is scored by the F1 of the answers it reaches
  against the gold answers (shorter paths win ties), and the best are stored, deduplicated by
  (template, path).

``ExampleBank.search`` finds the examples whose templates are most similar to a question (the
entity masked the same way): exact template matches first, then cosine similarity of MiniLM
embeddings (``kgqa.nlp.embed``; the bank's vectors are cached in an ``.npy`` next to it, keyed by a
hash of its content). ``ExampleGenerator`` turns the top examples into ``CypherCandidate``s with the
linked entities re-bound to ``$e0``, ``$e1``, ... (the ``kgqa.qa.generate`` query contract).

Modules: ``templates`` (masking), ``example`` (the example and path Cypher), ``qa_files`` (reading QA
pairs), ``mining`` (``PathMiner``), ``bank`` (``ExampleBank``), ``generator`` (``ExampleGenerator``).
"""

from kgqa.qa.examples.bank import EMBEDDING_MODEL, ExampleBank, default_bank_dir
from kgqa.qa.examples.example import DEFAULT_LIMIT, ENTITY_PARAM, Example, Step, describe_path, path_cypher
from kgqa.qa.examples.generator import PARAM_KEY_RE, PARAM_RE, ExampleGenerator, rebind
from kgqa.qa.examples.mining import SIGNATURES_CYPHER, MiningReport, PathMiner
from kgqa.qa.examples.qa_files import QAItem, read_qa_file
from kgqa.qa.examples.templates import BRACKET_RE, MASK, MASK_RE, mask_question, normalize_template

__all__ = [
    "BRACKET_RE",
    "DEFAULT_LIMIT",
    "EMBEDDING_MODEL",
    "ENTITY_PARAM",
    "MASK",
    "MASK_RE",
    "PARAM_KEY_RE",
    "PARAM_RE",
    "SIGNATURES_CYPHER",
    "Example",
    "ExampleBank",
    "ExampleGenerator",
    "MiningReport",
    "PathMiner",
    "QAItem",
    "Step",
    "default_bank_dir",
    "describe_path",
    "mask_question",
    "normalize_template",
    "path_cypher",
    "read_qa_file",
    "rebind",
]
