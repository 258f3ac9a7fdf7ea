"""kgqa: knowledge-graph hybrid question answering over your documents."""

__version__ = "0.1.0"
