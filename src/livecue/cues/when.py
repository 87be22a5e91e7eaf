"""The ``when`` expression of a rule: how its triggers combine ("brush_off and not exit").

A tiny recursive-descent parser: ``or`` binds loosest, then ``and``, then
``not``; parentheses group.  The result is nested tuples the detector walks
(``("or", a, b)``, ``("and", a, b)``, ``("not", a)``, ``("t", name)``).
The parser and that walk recurse, so an expression has at most
``MAX_TRIGGERS`` trigger names and ``MAX_DEPTH`` parentheses or ``not``
inside each other: a file's problem, not the interpreter's recursion limit.
"""

from __future__ import annotations

import re
from typing import Any

from ..user_files import did_you_mean

MAX_TRIGGERS = 200  # names in one expression (the shipped rules use at most 29)
MAX_DEPTH = 50  # parentheses and nots inside each other (the shipped rules: 4)


def parse_when(text: str, names: list[str]) -> Any:
    """Parse "a or (b and not c)" into nested tuples; raises ValueError."""
    tokens = re.findall(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\S", text)
    if sum(1 for t in tokens if t not in ("(", ")", "and", "or", "not")) > MAX_TRIGGERS:
        raise ValueError(f"more than {MAX_TRIGGERS} triggers in one expression")
    pos = 0
    depth = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def expr() -> Any:
        node = term()
        while peek() == "or":
            take()
            node = ("or", node, term())
        return node

    def term() -> Any:
        node = factor()
        while peek() == "and":
            take()
            node = ("and", node, factor())
        return node

    def factor() -> Any:
        nonlocal depth
        tok = peek()
        if tok is None:
            raise ValueError("expression ends too early")
        if tok in ("not", "("):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"parentheses and 'not' nested more than {MAX_DEPTH} deep")
        if tok == "not":
            take()
            node = ("not", factor())
            depth -= 1
            return node
        if tok == "(":
            take()
            node = expr()
            if peek() != ")":
                raise ValueError("missing ')'")
            take()
            depth -= 1
            return node
        take()
        if tok not in names:
            raise ValueError(f"unknown trigger '{tok}'{did_you_mean(tok, names)}")
        return ("t", tok)

    if not tokens:
        raise ValueError("empty expression")
    node = expr()
    if pos != len(tokens):
        raise ValueError(f"unexpected '{tokens[pos]}'")
    if _only_negative(node):
        raise ValueError("needs at least one trigger that is not negated")
    return node


def _only_negative(node: Any) -> bool:
    if node[0] == "t":
        return False
    if node[0] == "not":
        return True
    if node[0] == "and":
        return _only_negative(node[1]) and _only_negative(node[2])
    return _only_negative(node[1]) or _only_negative(node[2])


