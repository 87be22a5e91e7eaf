"""The ``when`` expression of a rule: how its triggers combine ("brush_off and not exit").

A tiny recursive-descent parser: ``or`` binds loosest, then ``and``, then
``not``; parentheses group.  The result is nested tuples the detector walks
(``("or", a, b)``, ``("and", a, b)``, ``("not", a)``, ``("t", name)``).
"""

from __future__ import annotations

import re
from typing import Any

from ..user_files import did_you_mean


def parse_when(text: str, names: list[str]) -> Any:
    """Parse "a or (b and not c)" into nested tuples; raises ValueError."""
    tokens = re.findall(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\S", text)
    pos = 0

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
        tok = peek()
        if tok is None:
            raise ValueError("expression ends too early")
        if tok == "not":
            take()
            return ("not", factor())
        if tok == "(":
            take()
            node = expr()
            if peek() != ")":
                raise ValueError("missing ')'")
            take()
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


