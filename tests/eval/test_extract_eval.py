"""`kgqa eval extraction`: scoring, gold parsing, --direct over the sample corpus, graph mode, WebNLG mapping."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kgqa.errors import InputError
from kgqa.eval.extraction import (
    Triple,
    direct_triples,
    graph_triples,
    load_gold,
    load_mapping,
    norm_name,
    read_documents,
    score_triples,
    webnlg_eval,
    webnlg_name,
)
from kgqa.graph.client import Graph
from kgqa.ontology import load_ontology

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ontology():
    return load_ontology()


def test_score_exact_and_case_insensitive(ontology):
    gold = [Triple("Oren Vale", "FOUNDED", "Nimbus Freight"), Triple("Oren Vale", "BORN_IN", "Port Ilsa")]
    pred = [Triple("oren  vale", "FOUNDED", "the Nimbus Freight"), Triple("Oren Vale", "DIED_IN", "Port Ilsa")]
    score = score_triples(pred, gold, ontology)
    assert (score.overall.tp, score.overall.fp, score.overall.fn) == (1, 1, 1)
    assert score.overall.precision == 0.5 and score.overall.recall == 0.5 and score.overall.f1 == 0.5
    assert score.per_relation["FOUNDED"].f1 == 1.0
    assert score.per_relation["DIED_IN"].precision == 0.0
    assert score.false_positives == [Triple("Oren Vale", "DIED_IN", "Port Ilsa")]
    assert score.false_negatives == [Triple("Oren Vale", "BORN_IN", "Port Ilsa")]


def test_symmetric_relations_match_either_direction_but_others_do_not(ontology):
    gold = [Triple("Ada Pike", "MARRIED_TO", "Bo Lin"), Triple("Nils Lin", "CHILD_OF", "Bo Lin")]
    pred = [Triple("Bo Lin", "MARRIED_TO", "Ada Pike"), Triple("Bo Lin", "CHILD_OF", "Nils Lin")]
    score = score_triples(pred, gold, ontology)
    assert score.per_relation["MARRIED_TO"].tp == 1
    assert score.per_relation["CHILD_OF"].tp == 0 and score.per_relation["CHILD_OF"].fp == 1


def test_duplicates_count_once_and_empty_inputs(ontology):
    t = Triple("A B", "WORKS_FOR", "C D")
    score = score_triples([t, t], [t], ontology)
    assert (score.overall.tp, score.overall.fp) == (1, 0)
    empty = score_triples([], [], ontology)
    assert empty.overall.f1 == 0.0 and empty.per_relation == {}


def test_errors_are_explained_by_reason(ontology):
    gold = [
        Triple("Ada Pike", "FOUNDED", "Tessel Labs"),  # found
        Triple("Ada Pike", "BORN_IN", "Marrow Bay"),  # "Marrow" was read instead of "Marrow Bay"
        Triple("Bo Lin", "WORKS_FOR", "Tessel Labs"),  # linked by CEO_OF instead
        Triple("Nils Lin", "CHILD_OF", "Bo Lin"),  # linked the other way round
        Triple("Ada Pike", "MARRIED_TO", "Bo Lin"),  # both read, nothing between them
    ]
    pred = [
        Triple("Ada Pike", "FOUNDED", "Tessel Labs"),
        Triple("Ada Pike", "BORN_IN", "Marrow"),
        Triple("Bo Lin", "CEO_OF", "Tessel Labs"),
        Triple("Bo Lin", "CHILD_OF", "Nils Lin"),
        Triple("Nils Lin", "WORKS_FOR", "Tessel Labs"),
    ]
    names = {"Ada Pike", "Marrow", "Bo Lin", "Tessel Labs", "Nils Lin"}
    score = score_triples(pred, gold, ontology, read_names=names)
    assert score.miss_reasons == {"name_not_read": 1, "other_relation": 2, "relation_missed": 1}
    assert score.false_positive_reasons == {"name_not_in_gold": 1, "other_relation": 2, "unrelated_pair": 1}
    assert sum(score.miss_reasons.values()) == score.overall.fn
    assert sum(score.false_positive_reasons.values()) == score.overall.fp
    data = score.as_dict()
    assert data["miss_reasons"] == score.miss_reasons
    assert data["false_negatives_by_reason"]["name_not_read"] == [["Ada Pike", "BORN_IN", "Marrow Bay"]]
    assert data["false_negatives_by_reason"]["relation_missed"] == [["Ada Pike", "MARRIED_TO", "Bo Lin"]]
    assert data["false_positives_by_reason"]["unrelated_pair"] == [["Nils Lin", "WORKS_FOR", "Tessel Labs"]]
    perfect = score_triples(gold, gold, ontology, read_names=names).as_dict()
    assert perfect["miss_reasons"] == {"name_not_read": 0, "other_relation": 0, "relation_missed": 0}
    assert "miss_reasons" not in score_triples(pred, gold, ontology).as_dict()  # only when names are known


def test_name_normalisation():
    assert norm_name("J.R.R. Tolkien") == norm_name("J. R. R. Tolkien")
    assert norm_name("Reşadiye") == norm_name("Resadiye")
    assert norm_name("Lady Anne Monson") == norm_name("Anne Monson")
    assert norm_name("Madrid–Barajas") == norm_name("Madrid-Barajas")
    assert norm_name('"The Salt Ledger"') == norm_name("Salt Ledger")
    assert webnlg_name("Jasper,_Alabama") == "Jasper"
    assert webnlg_name('"Ruth Ribicoff"') == "Ruth Ribicoff"
    assert webnlg_name("Turn_Me_On_(album)") == "Turn Me On"


def test_gold_parsing_errors(tmp_path, ontology):
    with pytest.raises(InputError, match="not found"):
        load_gold(tmp_path / "missing.tsv", ontology)
    bad = tmp_path / "bad.tsv"
    bad.write_text("# comment\nAda\tFOUNDED\tAcme\nAda FOUNDED Acme\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.tsv:3: expected 3 tab-separated fields"):
        load_gold(bad, ontology)
    unknown = tmp_path / "unknown.tsv"
    unknown.write_text("\nAda\tFOUNDER_OF\tAcme\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"unknown\.tsv:2: unknown relation 'FOUNDER_OF'"):
        load_gold(unknown, ontology)
    empty_field = tmp_path / "empty.tsv"
    empty_field.write_text("Ada\tFOUNDED\t\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.tsv:1"):
        load_gold(empty_field, ontology)


def test_shipped_gold_files_parse(ontology):
    gold = load_gold(ROOT / "data" / "corpus_gold.tsv", ontology)
    assert len(gold) >= 80
    assert {t.relation for t in gold} == set(ontology.relation_names)
    for name in [f"corpus_heldout{k}" for k in ("", 2, 3, 4, 5, 6, 7, 8, 9, 10)]:
        held = load_gold(ROOT / "data" / f"{name}_gold.tsv", ontology)
        assert len(held) >= 25
        assert (ROOT / "data" / name).is_dir()


def test_corpus_has_the_multi_hop_chain(ontology):
    gold = set(load_gold(ROOT / "data" / "corpus_gold.tsv", ontology))
    buyers = {t.subject for t in gold if t.relation == "ACQUIRED" and t.object == "Nimbus Freight"}
    ceos = {t.subject for t in gold if t.relation == "CEO_OF" and t.object in buyers}
    schools = {t.object for t in gold if t.relation == "STUDIED_AT" and t.subject in ceos}
    assert schools == {"University of Lowmere"}


def test_read_documents_strips_html(tmp_path):
    (tmp_path / "a.html").write_text(
        "<html><head><title>T</title><script>x=1</script></head><body><p>Ada lives in Rome.</p></body></html>"
    )
    (tmp_path / "b.md").write_text("# B\n\nBo lives in Oslo.\n")
    (tmp_path / "skip.csv").write_text("x")
    docs = read_documents(tmp_path)
    assert [d.id for d in docs] == ["a.html", "b.md"]
    assert docs[0].text == "Ada lives in Rome." and "script" not in docs[0].text
    with pytest.raises(InputError):
        read_documents(tmp_path / "nope")


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kgqa", "eval", "extraction", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_cli_direct_on_the_sample_corpus():
    proc = _run("--gold", "data/corpus_gold.tsv", "--direct", "data/corpus", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["gold"] >= 80
    assert data["overall"]["f1"] >= 0.85  # measured 0.99 on this (development) corpus
    assert set(data["per_relation"]) >= {"CEO_OF", "ACQUIRED", "STUDIED_AT"}
    assert isinstance(data["false_negatives"], list) and isinstance(data["type_corrections"], list)
    assert sum(data["miss_reasons"].values()) == data["overall"]["fn"]
    assert sum(data["false_positive_reasons"].values()) == data["overall"]["fp"]


def test_cli_human_output_and_errors(tmp_path):
    proc = _run("--gold", "data/corpus_heldout_gold.tsv", "--direct", "data/corpus_heldout")
    assert proc.returncode == 0, proc.stderr
    assert "overall" in proc.stdout and "precision" in proc.stdout
    assert "misses by reason:" in proc.stdout and "false negatives" in proc.stdout
    assert "  relation missed (" in proc.stdout  # the listed misses are grouped by reason
    bad = tmp_path / "bad.tsv"
    bad.write_text("Ada\tLOVES\tBo\n")
    proc = _run("--gold", str(bad), "--direct", "data/corpus")
    assert proc.returncode == 2
    assert "unknown relation 'LOVES'" in proc.stderr and "Traceback" not in proc.stderr
    proc = _run("--direct", "data/corpus")
    assert proc.returncode == 2 and "--gold" in proc.stderr


def test_graph_triples_and_cli_graph_mode(graph: Graph, graph_env, ontology, tmp_path):
    graph.write(
        "MERGE (a:Entity:Person {id: 'person:ada'}) SET a.name = 'Ada Pike' "
        "MERGE (b:Entity:Person {id: 'person:bo'}) SET b.name = 'Bo Lin' "
        "MERGE (t:Entity:Organization {id: 'org:tessel'}) SET t.name = 'Tessel Labs' "
        "MERGE (a)-[:FOUNDED]->(t) MERGE (b)-[:MARRIED_TO]->(a) MERGE (b)-[:KNOWS]->(t)"
    )
    triples = set(graph_triples(graph, ontology))
    assert triples == {Triple("Ada Pike", "FOUNDED", "Tessel Labs"), Triple("Bo Lin", "MARRIED_TO", "Ada Pike")}
    gold = tmp_path / "gold.tsv"
    gold.write_text("Ada Pike\tFOUNDED\tTessel Labs\nAda Pike\tMARRIED_TO\tBo Lin\nBo Lin\tFOUNDED\tTessel Labs\n")
    proc = _run("--gold", str(gold), "--json", env=graph_env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source"] == "graph"
    assert data["overall"]["tp"] == 2 and data["overall"]["fn"] == 1 and data["overall"]["fp"] == 0
    assert data["false_negatives"] == [["Bo Lin", "FOUNDED", "Tessel Labs"]]
    assert data["miss_reasons"]["relation_missed"] == 1  # both names are in the graph


def test_webnlg_mapping_and_scoring(tmp_path, ontology):
    mapping = load_mapping(None, ontology)
    assert mapping["birthPlace"].relation == "BORN_IN" and not mapping["birthPlace"].inverse
    assert mapping["author"].relation == "AUTHOR_OF" and mapping["author"].inverse
    assert mapping["foundedBy"].relation == "FOUNDED" and mapping["foundedBy"].inverse
    data = tmp_path / "w.jsonl"
    rows = [
        {"eid": "Id1", "text": "Alan Shepard was born in New Hampshire.", "triples": [["Alan_Shepard", "birthPlace", "New_Hampshire"], ["Alan_Shepard", "occupation", "Test_pilot"]]},
        {"eid": "Id2", "text": "The Hobbit has 310 pages.", "triples": [["The_Hobbit", "numberOfPages", "310"]]},
        {"eid": "Id3", "text": "A Wizard of Earthsea was written by Ursula K. Le Guin.", "triples": [["A_Wizard_of_Earthsea", "author", "Ursula_K._Le_Guin"]]},
    ]  # fmt: skip
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    from kgqa.ingest.extract.offline import OfflineExtractor

    score, info = webnlg_eval(data, OfflineExtractor(), ontology)
    assert info["entries"] == 2  # the entry without mapped triples is skipped
    assert score.gold_count == 2
    assert Triple("Alan Shepard", "BORN_IN", "New Hampshire", scope="Id1") not in score.false_negatives
    score1, info1 = webnlg_eval(data, OfflineExtractor(), ontology, limit=1)
    assert info1["entries"] == 1 and score1.gold_count == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json}\n")
    with pytest.raises(InputError, match=r"bad\.jsonl:1"):
        webnlg_eval(bad, OfflineExtractor(), ontology)


def _pooled(names: list[str], ontology):
    from kgqa.ingest.extract.offline import OfflineExtractor

    extractor = OfflineExtractor()
    predicted, gold = [], []
    for name in names:
        docs = read_documents(ROOT / "data" / name)
        predicted += [
            Triple(t.subject, t.relation, t.object, scope=name) for t in direct_triples(docs, extractor, ontology)
        ]
        gold += [
            Triple(t.subject, t.relation, t.object, scope=name)
            for t in load_gold(ROOT / "data" / f"{name}_gold.tsv", ontology)
        ]
    return score_triples(predicted, gold, ontology)


def test_held_out_sets_do_not_regress(ontology):
    """Pooled over the first four held-out sets (no longer blind, see data/README.md): F1 0.81 (P 0.96, R 0.70) at
    the end of session 1, 0.87 (P 0.98, R 0.78) after session 2's rules; the floor leaves room for small changes."""
    score = _pooled(["corpus_heldout", "corpus_heldout2", "corpus_heldout3", "corpus_heldout4"], ontology)
    assert score.overall.precision >= 0.93 and score.overall.f1 >= 0.84, score.as_dict(details=False)


def test_new_world_held_out_sets_do_not_regress(ontology):
    """Sets 5-7 (a new invented world, written blind by someone who never saw the extractor): F1 0.456 blind at
    f2b03e9, 0.65 (P 0.81, R 0.54) after rules written with their errors in view; a regression guard, not a target."""
    score = _pooled(["corpus_heldout5", "corpus_heldout6", "corpus_heldout7"], ontology)
    assert score.overall.precision >= 0.72 and score.overall.f1 >= 0.58, score.as_dict(details=False)


def test_second_blind_round_does_not_regress(ontology):
    """Sets 8-10 (another new world and writer), scored once at the freeze 684c69c: F1 0.452 (P 0.64, R 0.35);
    0.519 (P 0.71, R 0.41) after two rules written with their errors in view."""
    score = _pooled(["corpus_heldout8", "corpus_heldout9", "corpus_heldout10"], ontology)
    assert score.overall.precision >= 0.66 and score.overall.f1 >= 0.48, score.as_dict(details=False)


def test_third_blind_round_does_not_regress(ontology):
    """Sets 11-12 ("text of this kind", a third world and writer), scored once with the extractor frozen at
    11600dd: F1 0.485 (P 0.62, R 0.40). No rule was written for them; a regression guard, not a target."""
    score = _pooled(["corpus_heldout11", "corpus_heldout12"], ontology)
    assert score.overall.precision >= 0.57 and score.overall.f1 >= 0.45, score.as_dict(details=False)
