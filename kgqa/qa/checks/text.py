"""Lexing, canonical text and parsing of one Cypher statement with graphglot.

Every decision about a query is taken on graphglot's tokens and AST, never on the raw text:

* The *canonical* text is what the server finally runs: the original tokens with only plain whitespace between
  them. Comments are dropped (so the server cannot see a comment boundary that graphglot did not), string literals
  whose escaping is ambiguous between Cypher dialects are moved into parameters, and reserved words used as names
  (``n.size``, ``-[:DIRECTED]->``) are backticked.
* The *analysis* text is the canonical text with a few constructs graphglot's Neo4j dialect cannot parse rewritten
  into equivalent ones it can: ``shortestPath(p)`` / ``allShortestPaths(p)`` into GQL ``ANY SHORTEST p`` / ``ALL
  SHORTEST p`` and ``COUNT {}`` / ``COLLECT {}`` subqueries into ``EXISTS {}``. Those rewrites exist only so that
  the checks can see the whole pattern; the server never sees them. Positions map back to the canonical text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphglot.error import GraphGlotError, ParseError
from graphglot.lexer import TokenType

# Words that, outside strings, backticked names and property keys, only ever start a write, an admin command or
# something else a read-only query never needs. Their presence refuses a query whatever the parser makes of it.
# (START/STOP DATABASE are left to the parser, which refuses them: `start` and `end` are common variable names.)
DENY_WORDS = frozenset(
    {
        "CREATE",
        "MERGE",
        "SET",
        "REMOVE",
        "DELETE",
        "DETACH",
        "FOREACH",
        "INSERT",
        "LOAD",
        "DROP",
        "ALTER",
        "RENAME",
        "GRANT",
        "DENY",
        "REVOKE",
        "TERMINATE",
        "USE",
        "SHOW",
        "TRANSACTIONS",
        "COMMIT",
        "ROLLBACK",
        "PERIODIC",
        "ENABLE",
        "DISABLE",
        "SUSPEND",
        "IMPERSONATE",
        "DEALLOCATE",
        "REALLOCATE",
    }
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PLAIN_SPACE = frozenset(" \t\r\n")
_LABEL_FOLLOWERS = (
    TokenType.RIGHT_PAREN,
    TokenType.RIGHT_BRACKET,
    TokenType.RIGHT_BRACKET_MINUS,
    TokenType.BRACKET_RIGHT_ARROW,
    TokenType.LEFT_BRACE,
    TokenType.VERTICAL_BAR,
    TokenType.COLON,
    TokenType.ASTERISK,
)


class CypherSyntaxError(Exception):
    """graphglot could not lex or parse the query (or it uses syntax the checks do not support)."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Tok:
    type: TokenType
    value: str  # the lexer's value (string contents unescaped, backticks removed)
    raw: str  # the exact source slice
    start: int
    end: int  # exclusive

    @property
    def word(self) -> str | None:
        """The upper-cased word if this is a bare (unquoted) word token, else None."""
        if self.type in (TokenType.STRING,) or self.raw[:1] in ("`", "'", '"'):
            return None
        return self.raw.upper() if _WORD.match(self.raw) else None

    @property
    def is_keyword(self) -> bool:
        return self.word is not None and self.type != TokenType.VAR


@lru_cache(maxsize=1)
def dialect() -> Any:
    from graphglot.dialect import Dialect

    return Dialect.get_or_raise("neo4j")


def lex(text: str) -> list[Tok]:
    try:
        raw_tokens = dialect().tokenize(text)
    except GraphGlotError as exc:
        raise CypherSyntaxError(_first_line(str(exc)), getattr(exc, "start_offset", None)) from None
    except Exception as exc:  # a lexer bug must refuse the query, never let it through
        raise CypherSyntaxError(f"graphglot could not tokenize the query ({type(exc).__name__})") from None
    toks = []
    for t in raw_tokens:
        if t.token_type == TokenType.EOF:
            continue
        toks.append(Tok(t.token_type, t.text, text[t.start : t.end + 1], t.start, t.end + 1))
    return toks


def _first_line(message: str) -> str:
    message = re.sub(r"\x1b\[[0-9;]*m", "", message)
    return message.strip().splitlines()[0] if message.strip() else "syntax error"


# ---------------------------------------------------------------------------------------------- edits and mapping


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (positions in ``text``)."""
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < pos:
            raise ValueError(f"overlapping edits at {e.start}")
        out.append(text[pos : e.start])
        out.append(e.text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


@dataclass
class PosMap:
    """Maps positions in a rewritten text back to the text it was made from."""

    new_starts: list[int] = field(default_factory=list)
    regions: list[tuple[int, int, int, int]] = field(default_factory=list)  # new_start, new_end, old_start, old_end

    @classmethod
    def build(cls, edits: list[Edit]) -> PosMap:
        pm = cls()
        delta = 0
        for e in sorted(edits, key=lambda e: e.start):
            new_start = e.start + delta
            new_end = new_start + len(e.text)
            pm.regions.append((new_start, new_end, e.start, e.end))
            pm.new_starts.append(new_start)
            delta += len(e.text) - (e.end - e.start)
        return pm

    def to_old(self, pos: int, *, is_end: bool = False) -> int:
        i = bisect_right(self.new_starts, pos) - 1
        if i < 0:
            return pos
        new_start, new_end, old_start, old_end = self.regions[i]
        if pos < new_end or (pos == new_end and is_end and new_end > new_start):
            # inside a rewritten region: snap to its edges
            return old_end if is_end else old_start
        return old_end + (pos - new_end)


# ---------------------------------------------------------------------------------------------- canonical text


@dataclass
class Canonical:
    text: str
    tokens: list[Tok]
    params: dict[str, Any]
    notes: list[str]


def canonicalize(original: str, params: dict[str, Any]) -> Canonical:
    """Comment-free text with unambiguous strings; raises CypherSyntaxError for several statements."""
    toks = lex(original)
    if not toks:
        raise CypherSyntaxError("empty query")
    semis = [i for i, t in enumerate(toks) if t.type == TokenType.SEMICOLON]
    if semis:
        if semis != [len(toks) - 1]:
            raise CypherSyntaxError("more than one statement: only a single query is accepted", toks[semis[0]].start)
        toks = toks[:-1]
        if not toks:
            raise CypherSyntaxError("empty query")
    params = dict(params)
    notes: list[str] = []
    edits: list[Edit] = []
    pos = 0
    comment = False
    for tok in toks:
        gap = original[pos : tok.start]
        if gap and not set(gap) <= _PLAIN_SPACE:
            comment = True
            edits.append(Edit(pos, tok.start, "\n" if "\n" in gap else " "))
        pos = tok.end
    if original[pos:].strip(" \t\r\n"):
        comment = True
    if comment:
        notes.append("removed comments")
    for tok in toks:
        if tok.raw.startswith("`") and "\\" in tok.raw:
            raise CypherSyntaxError(
                "a backslash in a backticked name is read differently by Cypher dialects; rename it", tok.start
            )
        if tok.type == TokenType.STRING and _ambiguous_string(tok.raw):
            name = fresh_param(params, "str")
            params[name] = tok.value
            edits.append(Edit(tok.start, tok.end, f"${name}"))
            notes.append(f"moved a string literal with escaped quotes into ${name}")
    text = apply_edits(original[: toks[-1].end], edits) if edits else original[: toks[-1].end]
    text = text.strip()
    # property keys that are reserved words: n.size -> n.`size` (not namespaces: date.truncate(...))
    toks = lex(text)
    kw_edits = []
    for i, tok in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if (
            tok.word in DENY_WORDS
            and i > 0
            and toks[i - 1].type == TokenType.COLON
            and nxt is not None
            and nxt.type in _LABEL_FOLLOWERS
        ):
            kw_edits.append(Edit(tok.start, tok.end, f"`{tok.raw}`"))  # a label or type named like a keyword
        elif (
            tok.is_keyword
            and i > 0
            and toks[i - 1].type == TokenType.PERIOD
            and not (i + 1 < len(toks) and toks[i + 1].type in (TokenType.LEFT_PAREN, TokenType.PERIOD))
        ):
            kw_edits.append(Edit(tok.start, tok.end, f"`{tok.raw}`"))
    if kw_edits:
        text = apply_edits(text, kw_edits)
        notes.append("escaped reserved words used as names: " + ", ".join(e.text for e in kw_edits))
        toks = lex(text)
    return Canonical(text, toks, params, notes)


def _ambiguous_string(raw: str) -> bool:
    """True when dialects could disagree on where this literal ends (escaped or doubled quotes)."""
    inner = raw[1:-1]
    return raw[0] in inner or "\\'" in inner or '\\"' in inner or inner.endswith("\\")


def fresh_param(params: dict[str, Any], base: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", base) or "p"
    if not re.match(r"[A-Za-z_]", base):
        base = "p_" + base
    if base not in params:
        return base
    i = 2
    while f"{base}_{i}" in params:
        i += 1
    return f"{base}_{i}"


def deny_word(tokens: list[Tok]) -> Tok | None:
    """The first bare word that only writes/admin commands use (a property key after '.' is fine)."""
    for i, tok in enumerate(tokens):
        word = tok.word
        if word in DENY_WORDS and not (i > 0 and tokens[i - 1].type == TokenType.PERIOD):
            return tok
    return None


# ---------------------------------------------------------------------------------------------- analysis + parse


@dataclass
class Parsed:
    canonical: str  # canonical text (possibly with extra backticks added while parsing)
    tokens: list[Tok]  # canonical tokens
    analysis: str
    posmap: PosMap
    ast: Any
    notes: list[str]

    def span(self, node: Any) -> tuple[int, int] | None:
        """The canonical-text extent of an AST node (its own span or the union of its descendants' spans)."""
        lo, hi = None, None
        for n in node.dfs():
            sp = n.source_span
            if sp:
                lo = sp[0] if lo is None else min(lo, sp[0])
                hi = sp[1] if hi is None else max(hi, sp[1])
        if lo is None or hi is None:
            return None
        return self.posmap.to_old(lo), self.posmap.to_old(hi, is_end=True)

    def slice(self, node: Any) -> str:
        sp = self.span(node)
        return self.canonical[sp[0] : sp[1]] if sp else ""

    def tokens_in(self, start: int, end: int) -> list[Tok]:
        return [t for t in self.tokens if t.start >= start and t.end <= end]


_SHORTEST = {"SHORTESTPATH": "ANY SHORTEST", "ALLSHORTESTPATHS": "ALL SHORTEST"}
_SUBQUERY_WORDS = {"COUNT", "COLLECT", "EXISTS"}
_PREDICATE_CONTEXT = {"WHERE", "AND", "OR", "NOT", "XOR"}


def _analysis_edits(tokens: list[Tok]) -> list[Edit]:
    edits = []
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        prev = tokens[i - 1] if i > 0 else None
        if prev is not None and prev.type == TokenType.PERIOD:
            continue
        word = tok.word
        if word in _SHORTEST and nxt is not None and nxt.type == TokenType.LEFT_PAREN:
            close = _matching(tokens, i + 1, TokenType.LEFT_PAREN, TokenType.RIGHT_PAREN)
            if close is None:
                continue
            edits.append(Edit(tok.start, nxt.end, _SHORTEST[word] + " "))
            edits.append(Edit(tokens[close].start, tokens[close].end, " "))
        elif word in _SUBQUERY_WORDS and nxt is not None and nxt.type == TokenType.LEFT_BRACE:
            # COUNT { } / COLLECT { } read exactly like EXISTS { }; parenthesised, graphglot accepts EXISTS { }
            # wherever an expression goes (not only as a WHERE predicate) inside a CASE
            close = _matching(tokens, i + 1, TokenType.LEFT_BRACE, TokenType.RIGHT_BRACE)
            if close is None:
                continue
            if word == "EXISTS" and prev is not None and prev.word in _PREDICATE_CONTEXT:
                continue  # graphglot parses a predicate EXISTS { } as it is
            edits.append(Edit(tok.start, tok.end, "CASE WHEN EXISTS"))
            edits.append(Edit(tokens[close].start, tokens[close].end, "} THEN 1 END"))
    return edits


def _matching(tokens: list[Tok], i: int, open_t: TokenType, close_t: TokenType) -> int | None:
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].type == open_t:
            depth += 1
        elif tokens[j].type == close_t:
            depth -= 1
            if depth == 0:
                return j
    return None


_NAME_CONTEXT = (TokenType.COLON, TokenType.VERTICAL_BAR, TokenType.PERIOD)


def parse(canonical: Canonical, max_retries: int = 8) -> Parsed:
    """Parse one statement; reserved words that block the parse in a name position get backticked."""
    text, tokens, notes = canonical.text, canonical.tokens, list(canonical.notes)
    escaped: list[str] = []
    for _attempt in range(max_retries + 1):
        edits = _analysis_edits(tokens)
        analysis = apply_edits(text, edits)
        posmap = PosMap.build(edits)
        try:
            statements = dialect().parse(analysis)
        except ParseError as exc:
            offset = exc.errors[0].get("start_offset") if exc.errors else None
            fix = _name_fix(tokens, posmap.to_old(offset) if offset is not None else None)
            if fix is None:
                where = posmap.to_old(offset) if offset is not None else None
                raise CypherSyntaxError(_describe_parse_error(exc, text, where), where) from None
            text = apply_edits(text, [Edit(fix.start, fix.end, f"`{fix.raw}`")])
            escaped.append(fix.raw)
            tokens = lex(text)
            continue
        except GraphGlotError as exc:  # feature errors (e.g. GROUP BY is not Cypher)
            raise CypherSyntaxError(_first_line(str(exc))) from None
        except RecursionError:
            raise CypherSyntaxError("query is nested too deeply") from None
        except Exception as exc:  # a parser bug must refuse the query, never let it through
            raise CypherSyntaxError(f"graphglot failed on the query ({type(exc).__name__}: {exc})") from None
        statements = [s for s in statements if s is not None]
        if len(statements) != 1:
            raise CypherSyntaxError(f"expected exactly one statement, found {len(statements)}")
        if escaped:
            notes.append("escaped reserved words used as names: " + ", ".join(f"`{w}`" for w in escaped))
        return Parsed(text, tokens, analysis, posmap, statements[0], notes)
    raise CypherSyntaxError("too many reserved words used as names; escape them with backticks")


def _name_fix(tokens: list[Tok], offset: int | None) -> Tok | None:
    """A non-dangerous keyword at the parse-error position that sits where a name belongs."""
    if offset is None:
        return None
    at = next((i for i, tok in enumerate(tokens) if tok.start <= offset < tok.end), None)
    if at is None:
        return None
    # the parser may stop at the keyword itself or at the separator just before it (``:A|DIRECTED``)
    for i in (at, at + 1):
        if i >= len(tokens):
            break
        tok = tokens[i]
        if not tok.is_keyword or tok.word in DENY_WORDS:
            continue
        prev = tokens[i - 1] if i > 0 else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if prev is not None and prev.type in _NAME_CONTEXT:
            return tok
        if (
            prev is not None
            and prev.type in (TokenType.LEFT_BRACE, TokenType.COMMA)
            and nxt is not None
            and nxt.type == TokenType.COLON
        ):
            return tok  # map key
    return None


def _describe_parse_error(exc: ParseError, text: str, offset: int | None) -> str:
    desc = exc.errors[0].get("description") if exc.errors else None
    message = _first_line(desc or str(exc))
    message = re.sub(r"\s*Line \d+, Col: \d+\.?$", "", message).strip()
    if message.startswith("Expected one of [") and len(message) > 80:
        message = message[:77].rsplit(",", 1)[0] + ", …]"
    if offset is not None:
        near = text[offset : offset + 25].split("\n")[0]
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        message = f"{message} at line {line}, column {col} near {near!r}"
    return message
