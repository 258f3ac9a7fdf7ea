"""How far could a relation classifier over the offline reader go, and does a learned one help?

Two measurements on the gold sets in ``data/`` (grouped by invented world, so nothing is scored on the world it
was trained on):

1. **Ceiling**: the share of gold facts whose two entities the offline reader (spaCy NER, names, pronoun and
   surname references) puts into one sentence under their gold names. No sentence-level relation step, rules
   or learned, can recall more than this.
2. **Learned pairs**: a multinomial logistic regression over every entity pair of a sentence (MiniLM embeddings
   of the dependency path and of the entity-masked sentence, entity types, the rules' own verdict, distances),
   trained on the other worlds; its facts are added to the rules' facts. Reported as F1 of the rules alone vs
   rules plus classifier, per held-out world.

    python -m benchmarks.extraction_ceiling [--threshold 0.5] [--json]

Uses private parts of the offline extractor on purpose: it measures the reader, not the public interface.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kgqa.eval.extraction import Triple, load_gold, norm_name, read_documents, score_triples
from kgqa.ingest.extract.offline import OfflineExtractor, compile_triggers, parse
from kgqa.nlp import embed, spacy_model
from kgqa.ontology import load_ontology

DATA = Path(__file__).resolve().parents[1] / "data"
WORLDS = {  # invented world → gold sets written in it (data/README.md)
    "A (dev world)": ["corpus", "corpus_heldout", "corpus_heldout2", "corpus_heldout3", "corpus_heldout4"],
    "B (sets 5-7)": ["corpus_heldout5", "corpus_heldout6", "corpus_heldout7"],
    "C (sets 8-10)": ["corpus_heldout8", "corpus_heldout9", "corpus_heldout10"],
    "D (sets 11-12)": ["corpus_heldout11", "corpus_heldout12"],
}
TYPES = ["Person", "Organization", "Location", "Work", None]


@dataclass
class Pair:
    a: str
    b: str
    types: tuple
    path: str  # "A <words on the dependency path> B"
    masked: str  # the sentence with the two entities replaced by typed placeholders
    rule: list[str]  # relations the rules found for the pair, with direction: "FOUNDED>" (a→b) / "FOUNDED<"
    words_between: int
    label: str = "NONE"
    vec: np.ndarray | None = None


@dataclass
class GoldSet:
    name: str
    gold: list[Triple]
    rule_facts: list[Triple]
    pairs: list[Pair] = field(default_factory=list)


def _path(a, b) -> list:
    up = [a, *a.ancestors]
    down = [b, *b.ancestors]
    at = {t.i: k for k, t in enumerate(down)}
    for k, t in enumerate(up):
        if t.i in at:
            return [*up[1:k], t, *reversed(down[1 : at[t.i]])]
    return []


def _occurrences(d, sent) -> dict[int, tuple[int, int, object]]:
    """entity → (start, end, head token) of its first mention or reference in the sentence."""
    occ: dict[int, tuple[int, int, object]] = {}
    for tok in sent:
        mi = d.tok2mention.get(tok.i)
        if mi is not None and tok.i == d.mentions[mi].start:
            m = d.mentions[mi]
            occ.setdefault(m.entity, (m.start, m.end, d.spacy_doc[m.start : m.end].root))
        for e in d.refs.get(tok.i, []) if mi is None else []:
            occ.setdefault(e, (tok.i, tok.i + 1, tok))
    return occ


def read_set(name: str, ontology, trig) -> GoldSet:
    symmetric = {r.name for r in ontology.relation_types if r.symmetric}
    docs = read_documents(DATA / name)
    gold = load_gold(DATA / f"{name}_gold.tsv", ontology)
    gold_rel = {(norm_name(t.subject), norm_name(t.object)): t.relation for t in gold}
    out = GoldSet(name, gold, [])
    for doc, sdoc in zip(docs, parse(spacy_model(), [x.text for x in docs]), strict=True):
        d, facts, _ = OfflineExtractor()._analyse(doc.id, sdoc, ontology, trig)
        found: dict[tuple[int, int, int], set[str]] = {}
        for c in facts:
            out.rule_facts.append(Triple(d.entities[c.subj].name, c.relation, d.entities[c.obj].name))
            found.setdefault((c.subj, c.obj, c.sent), set()).add(c.relation)
        for si, sent in enumerate(sdoc.sents):
            occ = _occurrences(d, sent)
            ents = sorted(occ, key=lambda e: occ[e][0])
            for x, ea in enumerate(ents):
                for eb in ents[x + 1 :]:
                    (sa, ea_end, ha), (sb, eb_end, hb) = occ[ea], occ[eb]
                    na, nb = d.entities[ea].name, d.entities[eb].name
                    if norm_name(na) == norm_name(nb):
                        continue
                    ta, tb = d.entities[ea].type, d.entities[eb].type
                    words, i = [], sent.start
                    while i < sent.end:
                        if i in (sa, sb):
                            words.append(f"[{'A' if i == sa else 'B'} {(ta if i == sa else tb) or 'Thing'}]")
                            i = ea_end if i == sa else eb_end
                            continue
                        words.append(sdoc[i].text)
                        i += 1
                    between = [t for t in _path(ha, hb) if not (sa <= t.i < ea_end or sb <= t.i < eb_end)]
                    rule = [r + ">" for r in found.get((ea, eb, si), ())]
                    rule += [r + (">" if r in symmetric else "<") for r in found.get((eb, ea, si), ())]
                    pair = Pair(
                        na,
                        nb,
                        (ta, d.entities[ea].strong, tb, d.entities[eb].strong),
                        "A " + " ".join(t.lower_ for t in between) + " B",
                        " ".join(words),
                        sorted(rule),
                        max(0, sb - ea_end),
                    )
                    if (norm_name(na), norm_name(nb)) in gold_rel:
                        pair.label = gold_rel[(norm_name(na), norm_name(nb))] + ">"
                    elif (norm_name(nb), norm_name(na)) in gold_rel:
                        r = gold_rel[(norm_name(nb), norm_name(na))]
                        pair.label = r + (">" if r in symmetric else "<")
                    out.pairs.append(pair)
    return out


def ceiling(s: GoldSet) -> float:
    together = {frozenset((norm_name(p.a), norm_name(p.b))) for p in s.pairs}
    hit = sum(frozenset((norm_name(t.subject), norm_name(t.object))) in together for t in s.gold)
    return hit / len(s.gold) if s.gold else 0.0


def _features(pairs: list[Pair], labels: list[str]) -> np.ndarray:
    path = embed([p.path for p in pairs])
    masked = embed([p.masked for p in pairs])
    rows = []
    for p, v1, v2 in zip(pairs, path, masked, strict=True):
        ta, sa, tb, sb = p.types
        types = np.zeros(20)
        types[TYPES.index(ta) + (0 if sa else 5)] = 1
        types[10 + TYPES.index(tb) + (0 if sb else 5)] = 1
        rule = np.zeros(len(labels) + 1)
        for r in p.rule:
            rule[labels.index(r)] = 1
        rule[-1] = 0 if p.rule else 1
        rows.append(np.concatenate([v1, v2, types, rule, [min(p.words_between, 30) / 30]]))
    return np.stack(rows)


def learned(sets: dict[str, list[GoldSet]], ontology, threshold: float) -> dict[str, dict]:
    from sklearn.linear_model import LogisticRegression

    labels = sorted(r.name + d for r in ontology.relation_types for d in "<>")
    for group in sets.values():
        for s in group:
            if s.pairs:
                for p, v in zip(s.pairs, _features(s.pairs, labels), strict=True):
                    p.vec = v
    out = {}
    for world, test in sets.items():
        train = [p for w, group in sets.items() if w != world for s in group for p in s.pairs]
        clf = LogisticRegression(C=1.0, max_iter=3000).fit(np.stack([p.vec for p in train]), [p.label for p in train])
        classes = list(clf.classes_)
        base_all, with_all = [], []
        for s in test:
            added = []
            probs = clf.predict_proba(np.stack([p.vec for p in s.pairs])) if s.pairs else []
            for p, pr in zip(s.pairs, probs, strict=True):
                k = int(np.argmax(pr))
                if classes[k] == "NONE" or pr[k] < threshold:
                    continue
                rel, forward = classes[k][:-1], classes[k][-1] == ">"
                subj, obj = (p.a, p.b) if forward else (p.b, p.a)
                ts, to = (p.types[0], p.types[2]) if forward else (p.types[2], p.types[0])
                r = ontology.relation(rel)
                if (ts is None or ts in r.domain) and (to is None or to in r.range):
                    added.append(Triple(subj, rel, obj))
            base_all.append(score_triples(s.rule_facts, s.gold, ontology).overall)
            with_all.append(score_triples(s.rule_facts + added, s.gold, ontology).overall)

        def f1(scores) -> float:
            tp, fp, fn = (sum(getattr(x, k) for x in scores) for k in ("tp", "fp", "fn"))
            return round(2 * tp / (2 * tp + fp + fn), 3) if tp + fp + fn else 0.0

        out[world] = {"rules_f1": f1(base_all), "rules_plus_learned_f1": f1(with_all)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threshold", type=float, default=0.5, help="classifier probability needed to add a fact")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    ontology = load_ontology()
    trig = compile_triggers(ontology)
    sets = {w: [read_set(n, ontology, trig) for n in names if (DATA / n).is_dir()] for w, names in WORLDS.items()}
    sets = {w: g for w, g in sets.items() if g}
    result = {
        "ceiling": {
            w: round(sum(ceiling(s) * len(s.gold) for s in g) / sum(len(s.gold) for s in g), 3) for w, g in sets.items()
        },
        "learned": learned(sets, ontology, args.threshold),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{'world':16s} {'ceiling R':>9s} {'rules F1':>9s} {'+learned F1':>12s}")
    for w in sets:
        lr = result["learned"][w]
        print(f"{w:16s} {result['ceiling'][w]:9.3f} {lr['rules_f1']:9.3f} {lr['rules_plus_learned_f1']:12.3f}")


if __name__ == "__main__":
    main()
