"""Errors that reach users: one line saying what went wrong, and a hint saying what to do."""

from __future__ import annotations


class KgqaError(Exception):
    """An expected failure with a user-facing message and a hint."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class ConfigError(KgqaError):
    """A setting is missing or wrong."""


class ServiceUnavailable(KgqaError):
    """A server the work depends on (the graph, an LLM) is down or keeps failing: stop, do not fail every item."""


class GraphUnavailable(ServiceUnavailable):
    """The graph server cannot be reached or refused our credentials."""

    exit_code = 3


class EmbeddedServerError(KgqaError):
    """The embedded graph server could not be started, stopped or inspected."""

    exit_code = 3


class QueryRejected(KgqaError):
    """A Cypher query failed the rule-based checks and was not run."""

    exit_code = 4


class InputError(KgqaError):
    """User input (a file, a question, an ontology) is unusable."""

    exit_code = 2
