"""Behavioural test suites (CheckList-style): how a model's score moves when one thing in a sentence changes.

- ``neutralisation`` (directional): a biased Wikipedia sentence and its neutralised edit (WNC); the
  biased version must score higher.
- ``attribution_swaps`` (directional): a named, checkable source swapped for an anonymous or
  unverifiable one, and back; the unverified-sources score must rise, and fall.
- ``invariance``: heads of state, countries, parties and outlets swapped across political sides;
  the score must not move beyond a tolerance.

Any run adds them with ``evaluation.behaviour=[neutralisation,attribution_swaps,invariance]``
(:func:`bench.behaviour.run.run_behaviour`); each suite logs ``behaviour.<suite>.*`` metrics and its
failing examples go to ``behaviour.html``. The stored test sets are in ``corpora/behaviour/``,
written by ``python -m bench.behaviour.generate``.
"""

#: the suites ``evaluation.behaviour`` may name
SUITES: tuple[str, ...] = ("neutralisation", "attribution_swaps", "invariance")
