"""Internals of the rule-based Cypher checks; the public API is ``kgqa.qa.cypher_checks``."""
