"""Where a PromQL query goes wrong, for the messages of `core.slo.promql`.

promql-parser raises ValueError with a message but no position. `error_column` finds one in four
steps, each used only when the ones before it found nothing:
1. brackets and quotes: an unclosed or unexpected bracket, or an unterminated string, is found by
   scanning, and its own message replaces the parser's (they say the same, with a place);
2. a token the message names ('rate', '1', `syntax: 5x`): its last occurrence in the shortest
   prefix that fails with the same message;
3. label matchers: the contents of each `{...}` against the matcher grammar, which catches the
   common missing comma that the parser reports only as "invalid promql query";
4. the start of the final run of failures: the shortest prefix from which every longer prefix
   fails with the same message.
"""

from __future__ import annotations

import re

import promql_parser

_PAIRS = {"(": ")", "{": "}", "[": "]"}
_OPENERS = {closer: opener for opener, closer in _PAIRS.items()}
_QUOTES = "\"'`"
_NAMED_TOKEN = re.compile(r"'([^']+)'|syntax: (\S+)$")
_STRING = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`'
_MATCHER = re.compile(
    rf'\s*(?:(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*")\s*(?:=~|!~|!=|=)\s*(?:{_STRING})'
    rf'|"(?:[^"\\]|\\.)*")\s*'
)


def error_column(query: str, message: str) -> tuple[str, int]:
    """(reason, 0-based index) of the first mistake in a query promql-parser rejected."""
    scanned = _scan(query)
    if isinstance(scanned, tuple):
        return scanned
    named = _named_token(query, message)
    if named is not None:
        return message, named
    for start, end in scanned:
        found = _matcher_error(query, start, end)
        if found is not None:
            return found
    return message, _failure_start(query, message)


def _scan(query: str) -> tuple[str, int] | list[tuple[int, int]]:
    """A bracket or quote mistake as (reason, index), else the spans of every `{...}`."""
    stack: list[tuple[str, int]] = []
    braces: list[tuple[int, int]] = []
    index = 0
    while index < len(query):
        char = query[index]
        if char in _QUOTES:
            end = _string_end(query, index)
            if end < 0:
                return f"unterminated string starting with {char}", index
            index = end
        elif char == "#":  # a comment runs to the end of the line
            newline = query.find("\n", index)
            index = len(query) if newline < 0 else newline
        elif char in _PAIRS:
            stack.append((char, index))
        elif char in _OPENERS:
            if not stack or stack[-1][0] != _OPENERS[char]:
                expected = f", expected '{_PAIRS[stack[-1][0]]}'" if stack else ""
                return f"unexpected '{char}'{expected}", index
            opener, start = stack.pop()
            if opener == "{":
                braces.append((start, index))
        index += 1
    if stack:
        opener, start = stack[-1]
        return f"'{opener}' is never closed", start
    return braces


def _string_end(query: str, start: int) -> int:
    """Index of the quote closing the string opened at `start`, or -1."""
    quote, index = query[start], start + 1
    while index < len(query):
        if query[index] == "\\" and quote != "`":
            index += 2
            continue
        if query[index] == quote:
            return index
        index += 1
    return -1


def _failure_start(query: str, message: str) -> int:
    """Index of the last character of the shortest prefix from which all longer ones fail."""
    end = len(query)
    while end > 1 and _error(query[: end - 1]) == message:
        end -= 1
    return end - 1


def _error(query: str) -> str | None:
    try:
        promql_parser.parse(query)
    except ValueError as error:
        return str(error)
    return None


def _named_token(query: str, message: str) -> int | None:
    """Where the token a message names is: its last occurrence in the first prefix failing so."""
    match = _NAMED_TOKEN.search(message)
    if match is None:
        return None
    token = match.group(1) or match.group(2)
    limit = next((end for end in range(1, len(query) + 1) if _error(query[:end]) == message), 0)
    starts = [m.start() for m in re.finditer(re.escape(token), query[:limit])]
    return starts[-1] if starts else None


def _matcher_error(query: str, start: int, end: int) -> tuple[str, int] | None:
    """A mistake in the label matchers between the braces at `start` and `end`."""
    position = start + 1
    if not query[position:end].strip():
        return None
    while True:
        match = _MATCHER.match(query, position, end)
        if match is None:
            skipped = len(query[position:end]) - len(query[position:end].lstrip())
            return 'expected a label matcher such as job="api"', position + skipped
        position = match.end()
        if position >= end:
            return None
        if query[position] != ",":
            return "expected ',' between label matchers", position
        position += 1
        if not query[position:end].strip():
            return None
