"""Document loaders: files and folders → ``Document`` objects, with a clear message for every bad input.

Supported: ``.txt``, ``.md``/``.markdown`` (markdown markup reduced to text), ``.html``/``.htm`` (visible text
via BeautifulSoup), ``.pdf`` (pypdf text), ``.jsonl`` (one document per line: ``id``, ``text``, optional
``title`` and ``metadata``). Folders are walked recursively and filtered with include/exclude globs.

Document ids are stable: the path relative to the build root argument (a single file: its name), or the
``id`` given in a jsonl line. A problem with one file (or one jsonl line) becomes a ``LoadFailure`` and
loading continues with the rest.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kgqa.ingest.model import Document

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | JSONL_SUFFIXES
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass
class LoadFailure:
    """A file (or a jsonl line) that could not be loaded, and why."""

    source: str
    reason: str
    doc_id: str | None = None


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unsupported files found while walking folders


class _Bad(Exception):
    """One input is unusable; the message says why."""


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------- decoding


def decode(data: bytes, source: str, warnings: list[str]) -> str:
    """Bytes → text: utf-8 (with or without BOM), else cp1252, else latin-1 with a warning. NUL = binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _Bad("starts with a UTF-16 byte-order mark but is not valid UTF-16") from exc
    if b"\x00" in data:
        raise _Bad("looks like a binary file (contains NUL bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        warnings.append(
            f"{source}: not valid UTF-8 (byte {utf8_error.start}); decoded as {encoding} — check the characters"
        )
        return text
    raise _Bad("cannot decode the text (not UTF-8, cp1252 or latin-1 text)")


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    return control / len(sample) > 0.05


# ---------------------------------------------------------------------------------------------- formats


_MD_RULES = [
    (re.compile(r"^```.*?$|^~~~.*?$", re.M), ""),  # code fences (keep the code text)
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images → alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links → text
    # headings → their text, as a paragraph of their own (a blank line after them)
    (
        re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$(\n(?![ \t]*\n))?", re.M),
        lambda m: m.group(1) + ("\n\n" if m.group(2) else ""),
    ),
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),  # block quotes
    (re.compile(r"^[ \t]{0,3}(?:[-*_][ \t]*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # bold
    # italics inside running text that start with a capital are mostly titles ("her novel *Low Water*"): keep them
    # marked as quoted titles; other italics (a line of its own, lower-case emphasis) just lose their markers
    (re.compile(r"(?<=[^\s*])([ \t])\*(?!\s)([A-Z][^*\n]{0,80}?)\*(?![\w*])"), r"\1“\2”"),
    (re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?!\w)"), r"\1"),  # italics
    (re.compile(r"(?<!\w)_(?!\s)([^_\n]+?)_(?!\w)"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),  # inline code
    (re.compile(r"<[^>\n]+>"), ""),  # inline html tags
]


def markdown_to_text(text: str) -> tuple[str, str | None]:
    """Markdown → plain text (list markers and paragraphs kept); also the first heading as the title."""
    title = None
    m = re.search(r"^[ \t]{0,3}#[ \t]+(.+?)[ \t]*#*[ \t]*$", text, re.M)
    if m:
        title = m.group(1).strip()
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    return text.strip(), title


def html_to_text(text: str) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "template", "head", "svg", "nav", "footer"]):
        tag.decompose()
    for tag in soup.find_all(["i", "em", "cite"]):  # a capitalised italic inside a paragraph is a title
        inner = tag.get_text(" ", strip=True)
        if inner[:1].isupper() and len(inner) <= 80 and tag.parent is not None and tag.parent.name in {"p", "li", "td"}:
            tag.replace_with(f"“{inner}”")
    blocks = "p div section article h1 h2 h3 h4 h5 h6 li tr br td th header main aside blockquote pre dd dt figcaption"
    for tag in soup.find_all(blocks.split()):
        tag.insert_before("\n\n" if tag.name != "td" and tag.name != "th" else " ")
        tag.insert_after("\n\n" if tag.name != "td" and tag.name != "th" else " ")
    body = soup.get_text()
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in body.splitlines()]
    text_out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not title:
        h1 = soup.find("h1")
        title = h1.get_text(" ", strip=True) if h1 else None
    return text_out, title


def pdf_to_text(path: Path) -> tuple[str, str | None]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:
                raise _Bad("the PDF is encrypted") from exc
        pages = [page.extract_text() or "" for page in reader.pages]
    except _Bad:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise _Bad(f"cannot read the PDF: {exc}") from exc
    title = None
    try:
        title = (reader.metadata.title if reader.metadata else None) or None
    except Exception:  # metadata is optional and often malformed
        title = None
    return "\n\n".join(p.strip() for p in pages if p.strip()), title


# ---------------------------------------------------------------------------------------------- loading


def _check_size(path: Path, limit: int) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _Bad(f"cannot read: {exc.strerror or exc}") from exc
    if size > limit:
        raise _Bad(f"too large ({size / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB, see --max-bytes)")


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    _check_size(path, max_bytes)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _Bad(f"cannot read: {exc.strerror or exc}") from exc


def _finish(doc: Document, max_bytes: int) -> Document:
    text = doc.text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise _Bad("empty (no text)")
    if len(text.encode("utf-8")) > max_bytes:
        raise _Bad(f"text too large ({len(text) / 1e6:.1f}M characters; the limit is {max_bytes / 1e6:.1f} MB)")
    doc.text = text
    doc.content_hash = content_hash(text)
    return doc


def load_file(path: Path, doc_id: str, result: LoadResult, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Load one file into ``result`` (documents or failures)."""
    suffix = path.suffix.lower()
    source = str(path)
    try:
        if suffix in JSONL_SUFFIXES:
            _load_jsonl(path, result, max_bytes)
            return
        if suffix in PDF_SUFFIXES:
            _check_size(path, max_bytes * 4)  # PDFs carry layout and fonts: allow more bytes than text
            text, title = pdf_to_text(path)
        else:
            raw = decode(_read_bytes(path, max_bytes), source, result.warnings)
            if suffix in MARKDOWN_SUFFIXES:
                text, title = markdown_to_text(raw)
            elif suffix in HTML_SUFFIXES:
                text, title = html_to_text(raw)
            else:
                text, title = raw, None
        result.documents.append(
            _finish(Document(id=doc_id, text=text, title=title or path.stem, source=source), max_bytes)
        )
    except _Bad as exc:
        result.failures.append(LoadFailure(source, str(exc), doc_id))


def _load_jsonl(path: Path, result: LoadResult, max_bytes: int) -> None:
    source = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise _Bad(f"cannot read: {exc.strerror or exc}") from exc
    seen: set[str] = set()
    with handle:
        for number, line in enumerate(handle, start=1):
            where = f"{source}:{number}"
            if not line.strip():
                continue
            try:
                text_line = decode(line, where, result.warnings)
                try:
                    record = json.loads(text_line)
                except json.JSONDecodeError as exc:
                    raise _Bad(f"line {number} is not valid JSON ({exc.msg} at column {exc.colno})") from exc
                if not isinstance(record, dict):
                    raise _Bad(f"line {number} must be a JSON object with 'id' and 'text'")
                doc_id, text = record.get("id"), record.get("text")
                if not isinstance(doc_id, str | int) or str(doc_id).strip() == "":
                    raise _Bad(f"line {number} has no 'id' (a non-empty string)")
                doc_id = str(doc_id).strip()
                if not isinstance(text, str):
                    raise _Bad(f"line {number} (id {doc_id!r}) has no 'text' string")
                if doc_id in seen:
                    raise _Bad(f"line {number} repeats id {doc_id!r}")
                metadata = record.get("metadata") or {}
                if not isinstance(metadata, dict):
                    raise _Bad(f"line {number} (id {doc_id!r}): 'metadata' must be an object")
                title = record.get("title")
                try:
                    doc = _finish(
                        Document(
                            id=doc_id,
                            text=text,
                            title=str(title) if title else None,
                            source=where,
                            metadata=metadata,
                        ),
                        max_bytes,
                    )
                except _Bad as exc:
                    raise _Bad(f"line {number} (id {doc_id!r}): {exc}") from exc
                seen.add(doc_id)
                result.documents.append(doc)
            except _Bad as exc:
                result.failures.append(LoadFailure(where, str(exc)))


def _matches(rel: str, patterns: list[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def iter_files(root: Path, include: list[str], exclude: list[str]) -> Iterator[tuple[Path, str]]:
    """Files under ``root`` (recursively, sorted) with their ids relative to ``root``."""
    for path in sorted(root.rglob("*")):
        if not path.is_file() and not path.is_symlink():
            continue
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue  # hidden files and folders (.git, .DS_Store, ...)
        if include and not _matches(rel, include):
            continue
        if exclude and _matches(rel, exclude):
            continue
        yield path, rel


def load_paths(
    paths: list[str | Path],
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> LoadResult:
    """Load every document under ``paths`` (files or folders); problems become ``failures``."""
    include, exclude = list(include or []), list(exclude or [])
    result = LoadResult()
    for raw in paths:
        root = Path(raw)
        if root.is_dir():
            for path, rel in iter_files(root, include, exclude):
                if path.suffix.lower() not in SUPPORTED:
                    result.skipped.append(str(path))
                    continue
                load_file(path, rel, result, max_bytes)
        elif root.exists() or root.is_symlink():
            if root.suffix.lower() not in SUPPORTED:
                result.failures.append(
                    LoadFailure(
                        str(root),
                        f"unsupported file type {root.suffix or '(none)'!r}; supported: {', '.join(sorted(SUPPORTED))}",
                    )
                )
                continue
            load_file(root, root.name, result, max_bytes)
        else:
            result.failures.append(LoadFailure(str(root), "no such file or folder"))
    ids: dict[str, str] = {}
    unique: list[Document] = []
    for doc in result.documents:
        if doc.id in ids:
            result.failures.append(
                LoadFailure(doc.source or doc.id, f"duplicate document id {doc.id!r} (also {ids[doc.id]})", doc.id)
            )
            continue
        ids[doc.id] = doc.source or doc.id
        unique.append(doc)
    result.documents = unique
    return result
