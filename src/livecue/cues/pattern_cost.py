"""Static cost check for user regular expressions (``re:`` phrases in rule files).

A backtracking engine takes exponential time on a pattern that repeats
something which itself repeats (``(a+)+``, ``([a-z]+ ?)+x``): there are
exponentially many ways to split the text between the two loops when the
match fails.  Such patterns are refused at load with the reason, before a
long turn can stall a session; the matcher's time budget covers the rest.
"""

from __future__ import annotations

try:  # Python 3.11+
    from re import _constants as _c, _parser as _p
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

MAX_PATTERN_CHARS = 300
MAX_OUTER_BOUND = 4  # (x+){0,4} splits a turn at most four ways: polynomial, allowed
MAX_OPEN_REPEATS = 2  # open-ended loops in one pattern; each more multiplies the worst case by the turn length
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT} | ({_c.POSSESSIVE_REPEAT} if hasattr(_c, "POSSESSIVE_REPEAT") else set())


def _items(subpattern):
    """(op, arg) pairs of a parsed pattern, and of every subpattern inside it."""
    for op, arg in subpattern:
        yield op, arg
        if op in _REPEATS:
            yield from _items(arg[2])
        elif op is _c.SUBPATTERN:
            yield from _items(arg[-1])
        elif op is _c.BRANCH:
            for branch in arg[1]:
                yield from _items(branch)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            yield from _items(arg[1])
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            yield from _items(arg)


def _repeats_inside(subpattern) -> bool:
    return any(op in _REPEATS and op is not getattr(_c, "POSSESSIVE_REPEAT", None) and arg[1] > 1
               for op, arg in _items(subpattern))


def _branches_inside(subpattern) -> bool:
    return any(op is _c.BRANCH for op, _ in _items(subpattern))


def pattern_cost_problem(pattern: str) -> str | None:
    """Why ``pattern`` may take exponential time to fail, or None."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"regular expression longer than {MAX_PATTERN_CHARS} characters"
    try:
        parsed = _p.parse(pattern)
    except Exception:  # noqa: BLE001 - re.compile reports syntax errors with a better message
        return None
    open_repeats = 0
    for op, arg in _items(parsed):
        if op not in _REPEATS or arg[1] <= MAX_OUTER_BOUND or op is getattr(_c, "POSSESSIVE_REPEAT", None):
            continue
        open_repeats += 1
        if _repeats_inside(arg[2]):
            return ("nested repetition (a repeated group that itself repeats, like (x+)+) can take "
                    "exponential time on a long turn; repeat the inner part only, e.g. ([a-z]+ )* -> [a-z ]*")
        if _branches_inside(arg[2]):
            return ("a repeated alternation, like (a|ab)*, can take exponential time on a long turn; "
                    "use a character class ([ab]*) or list the phrases instead")
    if open_repeats > MAX_OPEN_REPEATS:
        return (f"{open_repeats} open-ended repetitions (*, +, {{n,}}) in one pattern can take very long "
                f"on a long turn; use at most {MAX_OPEN_REPEATS}, or write the phrase with ... wildcards")
    return None
