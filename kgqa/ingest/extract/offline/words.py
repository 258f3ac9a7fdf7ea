"""English word lists and spaCy labels the offline extractor's rules read (language data, not ontology)."""

from __future__ import annotations

import re

AUX = {"is", "was", "are", "were", "be", "been", "being", "has", "have", "had", "'s"}
SKIP_IN_PHRASE = {"a", "an", "the"}
DETS = {"a", "an", "the", "this", "that", "these", "those"}
REL_PRONOUNS = {"who", "whom", "which", "that"}
PERSON_PRONOUNS = {"he": "m", "him": "m", "his": "m", "himself": "m", "she": "f", "her": "f", "hers": "f",
                   "herself": "f"}  # fmt: skip
THING_PRONOUNS = {"it", "its", "itself"}
GROUP_PRONOUNS = {"they", "them", "their", "theirs"}
FIRST_PERSON = {"i", "me", "my", "myself"}
# capitalised words that tagging takes for names but that name no one: family forms of address, headline words
NOT_NAMES = {"mum", "mom", "mummy", "dad", "daddy", "mama", "papa", "grandma", "grandpa", "granny", "grandad",
             "granddad", "nan", "nana", "home", "welcome", "hello", "thanks", "update", "news"}  # fmt: skip
# heads of a by-phrase that names a text's writer: "Posted ... by A", "Best answer (by A)"
BYLINE_HEADS = {"post", "posted", "answer", "write", "written", "reply", "comment", "story", "report", "interview"}
KIN_NOUNS = {"son", "daughter", "child", "children", "kid", "kids", "father", "mother", "parent", "parents", "brother",
             "sister", "twin", "grandson", "granddaughter"}  # fmt: skip
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "lord", "lady", "mayor",
              "councillor", "councilor", "senator", "judge", "captain", "capt", "rev", "reverend", "minister",
              "alderman"}  # fmt: skip
FEMALE_WORDS = {"wife", "mother", "daughter", "sister", "alumna", "ms", "mrs", "miss", "dame", "lady", "woman"}
MALE_WORDS = {"husband", "father", "son", "brother", "alumnus", "mr", "sir", "lord", "man"}
# words before "of" that make "X of Y" one name: "University of X", "Bank of X"
OF_NAME_HEADS = {"university", "college", "school", "institute", "academy", "bank", "guild", "society", "museum",
                 "council", "order", "league", "association", "federation", "republic", "kingdom", "duchy", "isle",
                 "city", "county", "province", "gulf", "bay", "lake", "mount", "department", "ministry", "church",
                 "house", "conservatory", "library", "port"}  # fmt: skip
CALENDAR = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "spring", "summer",
    "autumn", "winter", "christmas", "easter",
}  # fmt: skip
DEMONYM_RE = re.compile(r"(?:an|ans|ese|ish|i|is|ic|ch|sh|ss|ek|ai|ots?)$", re.IGNORECASE)
QUOTE_RE = re.compile(r"[\"“]([A-Z][^\"”\n]{1,80}?)[\"”]")

# prepositions after which a short name stands for a place ("based in X" beside "X Mills")
PLACE_PREPOSITIONS = {"in", "near", "outside", "around"}
# participles that describe the noun before them: "X, based in Y" (a participle with a by-agent does too)
STATIVE_PARTICIPLES = {"base", "locate", "situate", "headquarter"}
# verbs whose object noun describes the subject: "holds a degree from", "has its head office in"
HOLD_VERBS = {"have", "hold", "earn", "receive", "obtain", "get", "gain", "complete", "take"}
PLACE_NOUNS = {"city", "town", "village", "hamlet", "port", "region", "district", "county", "province", "island",
               "municipality", "state", "country", "suburb", "borough", "parish"}  # fmt: skip
# parts of an organisation that stand for it when possessed: "part of Y's radio division" is part of Y
PART_NOUNS = {"division", "unit", "arm", "subsidiary", "imprint", "branch", "portfolio", "stable", "family",
              "group", "network", "operation", "business"}  # fmt: skip
# place nouns a name before them names ("the X district"), unlike "the X village" (a village in X)
REGION_NOUNS = {"region", "district", "county", "province", "state", "municipality", "parish", "borough"}
# parts of a place: "in the south of Y", "on the northern coast of Y" are in Y
AREA_NOUNS = {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "centre",
              "center", "heart", "middle", "edge", "outskirts", "coast", "interior", "part", "corner", "country",
              "hills", "foothills", "highlands", "uplands", "lowlands"}  # fmt: skip
# nouns standing for the body of an organisation: "sits on the council of X" is a seat in X
GROUP_NOUNS = {"board", "council", "committee", "faculty", "staff", "team", "panel", "trustees", "ranks", "payroll"}

MODALS = {"will", "would", "might", "may", "could", "should", "shall", "'ll", "wo"}
# "will stay on as head of X" still states the present
CONTINUING = {"stay", "remain", "continue", "keep"}
# "plans to join X", "hopes to buy X": the fact is not (yet) true
INTENT_VERBS = {"plan", "intend", "hope", "expect", "want", "aim", "agree", "promise", "wish", "propose", "seek"}

# words the lexical reader ignores between two names, and those a verbless fragment may start with
LEX_SKIP = {"a", "an", "the", "later", "also", "then", "eventually", "subsequently", "originally", "still"}
FRAGMENT_SKIP = {"now", "currently", "also"}
# tokens after which a sentence may start
SENTENCE_ENDS = {".", "!", "?", "…", '"', "”", "'", "’", ")", ":", ";"}

# spaCy's named-entity labels: those that may name an entity, and those that never do
NER_TYPES_KEEP = {"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC", "WORK_OF_ART", "PRODUCT"}
NER_NOT_NAMES = {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY", "LANGUAGE", "EVENT"}
NER_TITLES = {"WORK_OF_ART", "PRODUCT"}  # on an unquoted invented name mostly noise
NER_PLACES = {"GPE", "LOC"}
