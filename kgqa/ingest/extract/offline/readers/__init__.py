"""Candidate readers: each turns a parsed document (or one sentence) into ``Reading``s of triggers and arguments."""
