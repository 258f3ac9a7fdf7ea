"""The answer cache: a repeated question is served from it, and any write to the graph invalidates it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from kgqa import KGQA
from kgqa.config import Settings
from kgqa.qa.answer_cache import normalise_question


def _founders(result) -> set[str]:
    return {a.name for a in result.answers}


def test_repeat_is_a_hit_and_a_write_invalidates(graph, settings: Settings, tmp_path: Path) -> None:
    first = tmp_path / "a.txt"
    first.write_text("Ines Marlow founded Corvid Weaving. Corvid Weaving is headquartered in Pellham.\n")
    with KGQA(settings) as kg:
        kg.build([first])
        miss = kg.ask("Who founded Corvid Weaving?")
        assert miss.status == "answered" and _founders(miss) == {"Ines Marlow"}
        assert all(step.stage != "cache" for step in miss.trace)

        hit = kg.ask("  who founded corvid weaving ")
        assert [step.stage for step in hit.trace] == ["cache"]
        assert hit.question == "  who founded corvid weaving " and _founders(hit) == {"Ines Marlow"}
        assert kg.answers.stats()["hits"] == 1

        other = kg.ask("Who founded Corvid Weaving?", max_hops=2)  # other options: not the same entry
        assert all(step.stage != "cache" for step in other.trace)

        second = tmp_path / "b.txt"
        second.write_text("Tobin Ash founded Corvid Weaving with Ines Marlow.\n")
        kg.build([second])
        fresh = kg.ask("Who founded Corvid Weaving?")
        assert all(step.stage != "cache" for step in fresh.trace)
        assert _founders(fresh) == {"Ines Marlow", "Tobin Ash"}


def test_write_by_another_process_is_seen(graph, settings: Settings, graph_env: dict, tmp_path: Path) -> None:
    """`kgqa build` in another process (as beside `kgqa serve`) changes the graph version within a second."""
    doc = tmp_path / "c.txt"
    doc.write_text("Odile Franck founded Siskin Rope Works.\n")
    with KGQA(settings) as kg:
        kg.build([doc])
        assert _founders(kg.ask("Who founded Siskin Rope Works?")) == {"Odile Franck"}
        assert [s.stage for s in kg.ask("Who founded Siskin Rope Works?").trace] == ["cache"]
        more = tmp_path / "d.txt"
        # a relation type the graph did not have yet: the cached schema must not hide it
        more.write_text(
            "Pia Lund founded Siskin Rope Works with Odile Franck. Siskin Rope Works is headquartered in Varrow.\n"
        )
        done = subprocess.run(
            [sys.executable, "-m", "kgqa", "build", str(more)], env=graph_env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        time.sleep(1.1)  # the server's counts are read at most once a second
        fresh = kg.ask("Who founded Siskin Rope Works?")
        assert all(step.stage != "cache" for step in fresh.trace)
        assert _founders(fresh) == {"Odile Franck", "Pia Lund"}
        assert _founders(kg.ask("Where is Siskin Rope Works headquartered?")) == {"Varrow"}


def test_size_zero_is_off(graph, settings: Settings) -> None:
    assert normalise_question("Who founded X ?") == normalise_question("who  founded x")
    with KGQA(settings, answer_cache_size=0) as kg:
        kg.ask("Who founded Corvid Weaving?")
        kg.ask("Who founded Corvid Weaving?")
        assert kg.answers.stats()["hits"] == 0
