"""Static cost check for user regular expressions (``re:`` phrases in rule files).

A backtracking engine takes exponential time on a pattern that repeats
something which itself repeats (``(a+)+``, ``([a-z]+ ?)+x``): there are
exponentially many ways to split the text between the two loops when the
match fails.  Such patterns are refused at load with the reason, before a
long turn can stall a session; the matcher's time budget covers the rest.
"""

from __future__ import annotations

import re
import warnings

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


def pattern_cost(pattern: str, cap: int) -> tuple[str | None, int, int]:
    """(Why ``pattern`` may take exponential time to fail, or None; how many ways a search can try it from
    one start, or ``cap + 1`` past ``cap``; the most characters one match can span), from one parse.

    A pattern of few ways and a bounded span cannot backtrack out of hand:
    each start costs at most its ways times its span, whatever the turn.
    Any open-ended repetition (``*``, ``+``, ``{n,}``) makes the count
    depend on the turn, so it counts as past the cap.  A bounded repetition
    counts the ways of each number of rounds; alternatives that open on
    distinct letters count once (only one of them goes on; not where a
    ``(?i)`` flag lets one letter match several, "s" and "ſ"), others add
    up; a lookaround multiplies by its own ways (it is tried on every path
    that reaches it).
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"regular expression longer than {MAX_PATTERN_CHARS} characters", cap + 1, _c.MAXREPEAT
    try:
        with warnings.catch_warnings():  # "[[:alpha:]]" ("possible nested set"): a class to regex, which runs it
            warnings.simplefilter("ignore", FutureWarning)
            parsed = _p.parse(pattern)
    except Exception:  # noqa: BLE001 - re.compile reports syntax errors with a better message
        return None, cap + 1, _c.MAXREPEAT
    by_letter = not (parsed.state.flags & _c.SRE_FLAG_IGNORECASE or _SCOPED_IGNORECASE.search(pattern))
    return _problem(parsed), min(_ways(parsed, cap, by_letter), cap + 1), min(parsed.getwidth()[1], _c.MAXREPEAT)


_SCOPED_IGNORECASE = re.compile(r"\(\?[a-zA-Z-]*i")  # (?i) or (?i:...) anywhere (a scoped flag is not in parsed.state)


def _problem(parsed) -> str | None:
    """Why the parsed pattern may take exponential time to fail, or None."""
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


def _ways(subpattern, cap: int, by_letter: bool = True) -> int:
    total = 1
    for op, arg in subpattern:
        if op in _REPEATS:
            lo, hi, inner = arg
            if hi is _c.MAXREPEAT:
                return cap + 1
            total *= _rounds_ways(_ways(inner, cap, by_letter), lo, hi, cap)
        elif op is _c.SUBPATTERN:
            total *= _ways(arg[-1], cap, by_letter)
        elif op is _c.BRANCH:
            total *= _branch_ways(arg[1], cap, by_letter)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            total *= _ways(arg[1], cap, by_letter)
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            total *= _ways(arg, cap, by_letter)
        elif op is _c.GROUPREF_EXISTS:
            total *= _ways(arg[1], cap, by_letter) + (_ways(arg[2], cap, by_letter) if arg[2] is not None else 1)
        elif op not in _SINGLE:
            return cap + 1  # an item this count does not know: assume the worst
        if total > cap:
            return cap + 1
    return total


def _rounds_ways(w: int, lo: int, hi: int, cap: int) -> int:
    """Ways of lo to hi rounds of something of ``w`` ways: w**lo + ... + w**hi, counted only up to the cap
    (not w**60000 for "(a|aa){0,60000}", which the load refuses anyway, but only after counting it)."""
    if w == 1:
        return hi - lo + 1
    total, power = 0, 1
    for k in range(hi + 1):
        if k >= lo:
            total += power
            if total > cap:
                return cap + 1
        power = min(power * w, cap + 1)
    return total


def _branch_ways(branches, cap: int, by_letter: bool) -> int:
    """Alternatives opening on distinct letters: at most one goes on, so the most of them; the rest add."""
    by_first: dict[int, int] = {}
    other = 0
    for branch in branches:
        w = _ways(branch, cap, by_letter)
        if by_letter and branch and branch[0][0] is _c.LITERAL:
            by_first[branch[0][1]] = by_first.get(branch[0][1], 0) + w
        else:
            other += w
    return max(by_first.values(), default=0) + other


_SINGLE = {_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY, _c.AT, _c.CATEGORY, _c.GROUPREF}
