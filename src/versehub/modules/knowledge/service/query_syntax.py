"""The search box's syntax: parsed once here, then written out for FTS5 or PostgreSQL.

The rules are a web search engine's (and those of PostgreSQL's `websearch_to_tsquery`, which this
replaces so that both backends read a query the same way):

- words are all required: `deaf students` finds entries with both;
- `"quoted words"` are a phrase, the words next to each other in that order (an unclosed quote
  runs to the end of the text);
- `or` between two terms offers alternatives: `captions or subtitles`; it binds looser than the
  implicit AND, so `live captions or subtitles` is (live AND captions) OR subtitles;
- `-word` or `-"a phrase"` (the dash first in its word) excludes entries containing it; an
  alternative made of exclusions only cannot be searched (neither index can list "everything
  but") and is dropped.

Nothing else means anything: a word is a run of letters, digits and `_`, every other character
separates words. The output quotes every word, so no user text becomes FTS5 or tsquery syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The rules above in one line, for a search box's hint.
SYNTAX_HELP = (
    'Every word must match; "quoted words" find a phrase; or between words finds either; '
    "-word leaves out entries with that word."
)
MAX_WORDS = 32  # words beyond this are ignored (each costs the index a posting list)
_WORD = re.compile(r"\w+")
# A phrase (to its closing quote or the end) or a word; a dash counts as "not" only when it
# starts a word (at the start of the text, or after a space or an opening parenthesis).
_TOKEN = re.compile(r'(?P<neg>(?<![^\s(])-)?(?:"(?P<phrase>[^"]*)(?:"|$)|(?P<word>\w+))')


@dataclass(frozen=True)
class Term:
    """One word, or a phrase of several in order; `negated` when the entry must not contain it."""

    words: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class Query:
    """Alternatives (OR), each a conjunction (AND) of terms with at least one required term."""

    alternatives: tuple[tuple[Term, ...], ...]

    @property
    def requires_phrase(self) -> bool:
        """Whether a required term is a phrase of two or more words.

        An index can only narrow such a query down to the rows holding all the phrase's words
        (an excluded phrase removes rows instead, and does not shrink the matches).
        """
        return any(len(t.words) > 1 and not t.negated for alt in self.alternatives for t in alt)


def parse(text: str) -> Query | None:
    """The query `text` asks for, or None when nothing in it can be searched."""
    alternatives: list[tuple[Term, ...]] = []
    current: list[Term] = []
    budget = MAX_WORDS
    for token in _TOKEN.finditer(text):
        negated = token["neg"] is not None
        if token["word"] is not None:
            if not negated and token["word"].casefold() == "or":
                alternatives.append(tuple(current))
                current = []
                continue
            words = [token["word"]]
        else:
            words = _WORD.findall(token["phrase"])
        words = words[:budget]
        if not words:
            continue
        budget -= len(words)
        current.append(Term(tuple(words), negated))
        if budget == 0:
            break
    alternatives.append(tuple(current))
    kept = tuple(alt for alt in alternatives if any(not t.negated for t in alt))
    return Query(kept) if kept else None


def _fts5_term(term: Term) -> str:
    return '"' + " ".join(term.words).replace('"', '""') + '"'


def to_fts5(query: Query) -> str:
    """An FTS5 MATCH expression: quoted strings (a phrase when several words), AND, NOT, OR."""
    return " OR ".join(
        "(("
        + " AND ".join(_fts5_term(t) for t in alt if not t.negated)
        + ")"
        + "".join(" NOT " + _fts5_term(t) for t in alt if t.negated)
        + ")"
        for alt in query.alternatives
    )


def _tsquery_term(term: Term) -> str:
    words = " <-> ".join("'" + w.replace("'", "''") + "'" for w in term.words)
    return f"({words})" if len(term.words) > 1 else words


def to_tsquery(query: Query) -> str:
    """Text for PostgreSQL's `to_tsquery(config, …)`, which stems each quoted word."""
    return " | ".join(
        "("
        + " & ".join(_tsquery_term(t) if not t.negated else "!" + _tsquery_term(t) for t in alt)
        + ")"
        for alt in query.alternatives
    )
