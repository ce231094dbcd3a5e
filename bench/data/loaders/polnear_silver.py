"""Silver source classes for PolNeAR events: a deterministic rule over the source span and the events.

Written from ``corpora/ANNOTATION_GUIDELINE.md`` ("Source classes of attributions"); its word lists
hold the guideline's examples, extended with frequent head nouns of PolNeAR *train* source spans
(which carry no source class). It was not fitted to the annotated dev layer; its agreement with that
layer is a held-out figure (``python -m bench.annotation.agreement``).

The rule, first match wins (the guideline's order):

1. no Source argument → ``none``;
2. a pronoun (``he``, ``they``, ``who``, ``I``, …) → the class of the nearest preceding non-pronoun
   source of the same annotator's events (a singular personal pronoun skips ``vague`` groups);
   no such source → ``vague``; ``pronoun=yes``;
3. several conjuncts (``Trump and his aides``) → ``named`` if any conjunct is named;
4. an ``@handle``, or a channel head noun (*account*, *channel*, *blog*, *video*, …) whose owner is
   not named → ``named_unverifiable`` (with a named owner → ``named``);
5. an informant head noun (*official*, *source*, *aide*, *people familiar* …) → ``anonymous``;
6. a collective head noun (*critics*, *voters*, *Democrats*, *polls*, *people* …) → ``vague``;
7. a proper name (a capitalised word other than a determiner, title, platform or group word, or an
   acronym) → ``named``;
8. a definite title or singular noun phrase (*the president*, *the campaign*, *the poll*) → ``named``;
9. anything else (indefinite or bare common nouns) → ``vague``.

The head is the last word before the first post-modifier (*who*, *familiar*, *of*, *at*, a comma …);
a capitalised head after the first word is a name (*The Post*), not a common noun. Rule 4's handle
gives ``named`` when the phrase also names its owner (*Sahil Kapur (@sahilkapur)*).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

CLASSES = ("named", "named_unverifiable", "anonymous", "vague", "none")

PRONOUNS = frozenset("""he she they it who whom whose which that this these those i we you me us him her them his
hers its their theirs my our your himself herself themselves itself myself ourselves both each""".split())
SINGULAR_PERSONAL = frozenset("he she him his her hers himself herself".split())
DETERMINERS = frozenset("""a an the this that these those some many several few one two three four five six various
numerous multiple most all another other any his her their its our my your both each every""".split())
DEFINITE = frozenset("the this that these those his her their its our my your".split())
POST_MODIFIERS = frozenset("""who whom whose which that familiar close with at in from of on for to briefed speaking
involved including near inside within across among under who’s who's""".split())
#: informants described by role, affiliation or access (rule 5 of the guideline)
INFORMANTS = frozenset("""official officials source sources aide aides adviser advisers advisor advisors spokesman
spokeswoman spokesperson spokespeople staffer staffers insider insiders operative operatives strategist strategists
ally allies associate associates confidant confidants officer officers agent agents employee employees lawmaker
lawmakers diplomat diplomats investigator investigators prosecutor prosecutors police authorities witness witnesses
reporter reporters narrator lawyer lawyers attorney attorneys representative representatives organizer organizers
volunteer volunteers donor donors friend friends negotiator negotiators worker workers staff aide-de-camp
administrator administrators member members supporter critic voter resident activist protester protestor expert
analyst observer fan user citizen student parent investor delegate economist scientist scholar historian commentator
pundit woman man democrat republican conservative liberal""".split())
#: people/person count as informants only with a post-modifier ("people familiar with …")
PEOPLE = frozenset("people person individuals".split())
#: collective bodies of opinion (rule 6)
COLLECTIVES = frozenset("""critics people experts observers voters democrats republicans polls surveys studies reports
media conservatives liberals progressives supporters opponents detractors skeptics sceptics public everyone everybody
many some others most americans analysts pundits commentators economists scientists scholars historians fans
followers users commenters activists protesters protestors residents citizens women men millennials students parents
investors leaders delegates evangelicals christians muslims latinos hispanics independents rumors rumours speculation
crowd audience world country nation community rivals opposition establishment elites""".split())
#: channels whose owner a reader may not identify (rule 4)
CHANNELS = frozenset("""account accounts channel channels handle handles blog blogs website websites site sites post
posts video videos page pages forum forums thread threads meme memes podcast tweet tweets feed""".split())
#: capitalised words that do not name a checkable person or body
PLATFORMS = frozenset("""twitter facebook telegram youtube instagram reddit tiktok snapchat tumblr 4chan 8chan
whatsapp internet web""".split())
GROUP_WORDS = frozenset("""democrats republicans americans conservatives liberals evangelicals christians muslims
latinos hispanics millennials independents progressives democratic republican conservative liberal""".split())
TITLES = frozenset("""president vice candidate nominee senator sen governor gov mayor secretary director chairman
chairwoman chair speaker leader chief ceo founder head judge justice commissioner ambassador minister pope host
anchor editor publisher congressman congresswoman rep mr mrs ms dr former presumptive presidential""".split())

_TOKEN = re.compile(r"@\w+|\w+(?:[’'.\-]\w+)*\.?|[,;()—–\"“”]")
_POSSESSIVE = re.compile(r"[’']s$")


@dataclass(frozen=True)
class SourceMention:
    """A source span of an event: its start offset and text (empty: the event has no source)."""

    start: int
    text: str


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _word(token: str) -> str:
    return _POSSESSIVE.sub("", token.lower()).rstrip(".")


def _head_chunk(tokens: Sequence[str]) -> list[str]:
    """The words before the first post-modifier or punctuation (at least the first word)."""
    chunk: list[str] = []
    for i, token in enumerate(tokens):
        if i and (token.lower() in POST_MODIFIERS or not token[0].isalnum() and not token.startswith("@")):
            break
        chunk.append(token)
    return chunk


def _is_name(token: str, position: int) -> bool:
    word = _word(token)
    if not token[:1].isupper() or word in PLATFORMS or word in GROUP_WORDS or word in TITLES:
        return False
    if position == 0 and (word in DETERMINERS or word in PRONOUNS):
        return False
    return word not in INFORMANTS and word not in COLLECTIVES and word not in CHANNELS


def _has_name(tokens: Sequence[str]) -> bool:
    return any(_is_name(t, i) for i, t in enumerate(tokens))


def _conjuncts(tokens: Sequence[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token.lower() in ("and", "&", ","):
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def classify_phrase(text: str) -> str:
    """The class of a non-pronoun source phrase (rules 3–9)."""
    tokens = _tokens(text)
    if not tokens:
        return "vague"
    chunk = _head_chunk(tokens)
    conjuncts = _conjuncts(chunk) if any(t.lower() in ("and", "&") for t in chunk) else []
    if len(conjuncts) > 1:
        classes = [classify_phrase(" ".join(c)) for c in conjuncts]
        return "named" if "named" in classes else classes[0]
    words = [_word(t) for t in chunk]
    head = words[-1]
    first = words[0]
    modified = len(chunk) < len(tokens)
    if any(t.startswith("@") for t in chunk):
        return "named" if _has_name(chunk) else "named_unverifiable"
    if len(chunk) > 1 and chunk[-1][:1].isupper() and head not in GROUP_WORDS:
        head = ""  # a capitalised head is a name (The Post), not a common noun
    if head in CHANNELS:
        owner_named = _has_name(chunk[:-1]) and "anonymous" not in words
        return "named" if owner_named else "named_unverifiable"
    if head in PEOPLE:
        return "anonymous" if modified else "vague"
    if head in INFORMANTS:
        return "anonymous"
    if head in COLLECTIVES:
        return "vague"
    if _has_name(chunk):
        return "named"
    if first in DEFINITE or head in TITLES:
        return "named"
    return "vague"


def is_pronoun(text: str) -> bool:
    words = [_word(t) for t in _tokens(text)]
    return (bool(words) and all(w in PRONOUNS for w in words)) or words in (["the", "two"], ["the", "three"])


def silver_classes(mentions: Sequence[SourceMention]) -> list[tuple[str, bool]]:
    """``(class, pronoun)`` of each event's source mention (rules 1–9; pronouns resolved backwards)."""
    own: list[str | None] = []
    for mention in mentions:
        if not mention.text.strip():
            own.append("none")
        elif is_pronoun(mention.text):
            own.append(None)
        else:
            own.append(classify_phrase(mention.text))
    order = sorted(range(len(mentions)), key=lambda i: mentions[i].start)
    out: list[tuple[str, bool]] = [("vague", False)] * len(mentions)
    for rank, i in enumerate(order):
        if own[i] is not None:
            out[i] = (str(own[i]), False)
            continue
        singular = _word(_tokens(mentions[i].text)[0]) in SINGULAR_PERSONAL
        referent = "vague"
        for j in reversed(order[:rank]):
            candidate = own[j]
            if candidate is None or candidate == "none" or mentions[j].start >= mentions[i].start:
                continue
            if singular and candidate == "vague":
                continue
            referent = candidate
            break
        out[i] = (referent, True)
    return out
