"""Matchers that compare equal to whole families of values.

Matchers work inside tuples and lists because those compare element by
element: ``('ack', ANY) == message`` is true for any two-element tuple whose
first element is ``'ack'``. `Process.get` uses the same equality.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["AND", "ANY", "IN", "IS_INSTANCE", "NOT", "OR", "Matcher", "match"]


class Matcher:
    """Base of all matchers: `__eq__` delegates to `matches`."""

    __slots__ = ()

    def matches(self, value: Any) -> bool:
        raise NotImplementedError

    def __eq__(self, value: object) -> bool:
        return self.matches(value)

    def __ne__(self, value: object) -> bool:
        return not self.matches(value)

    __hash__ = None  # type: ignore[assignment]


class _Any(Matcher):
    __slots__ = ()

    def matches(self, value: Any) -> bool:
        return True

    def __repr__(self) -> str:
        return "ANY"


ANY: Matcher = _Any()
"""Matches every value."""


class IS_INSTANCE(Matcher):
    """Matches instances of `cls` (a class or a tuple of classes)."""

    __slots__ = ("cls",)

    def __init__(self, cls: type | tuple[type, ...]) -> None:
        self.cls = cls

    def matches(self, value: Any) -> bool:
        return isinstance(value, self.cls)

    def __repr__(self) -> str:
        return f"IS_INSTANCE({self.cls!r})"


class IN(Matcher):
    """Matches any value equal to one of `values`."""

    __slots__ = ("values",)

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = tuple(values)

    def matches(self, value: Any) -> bool:
        return any(candidate == value for candidate in self.values)

    def __repr__(self) -> str:
        return f"IN({list(self.values)!r})"


class OR(Matcher):
    """Matches a value equal to at least one of the patterns."""

    __slots__ = ("patterns",)

    def __init__(self, *patterns: Any) -> None:
        self.patterns = patterns

    def matches(self, value: Any) -> bool:
        return any(pattern == value for pattern in self.patterns)

    def __repr__(self) -> str:
        return f"OR{self.patterns!r}"


class AND(Matcher):
    """Matches a value equal to every one of the patterns."""

    __slots__ = ("patterns",)

    def __init__(self, *patterns: Any) -> None:
        self.patterns = patterns

    def matches(self, value: Any) -> bool:
        return all(pattern == value for pattern in self.patterns)

    def __repr__(self) -> str:
        return f"AND{self.patterns!r}"


class NOT(Matcher):
    """Matches a value that is not equal to `pattern`."""

    __slots__ = ("pattern",)

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern

    def matches(self, value: Any) -> bool:
        # `==` rather than `!=`, so that matchers nested in the pattern apply.
        return not (self.pattern == value)  # noqa: SIM201

    def __repr__(self) -> str:
        return f"NOT({self.pattern!r})"


def match(pattern: Any, value: Any) -> bool:
    """Return whether `value` matches `pattern` (a plain value or a matcher)."""
    return bool(pattern == value)
