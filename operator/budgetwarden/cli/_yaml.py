"""A fast YAML writer for generated rules, byte-for-byte the same as PyYAML's block style.

PyYAML's representer runs in Python even with the C emitter, and for 1,000 SLOs it took most of
`budgetwarden generate`'s time. Rule objects are plain data (mappings, lists, short strings,
multi-line expressions), so this writes them directly. Anything it is not certain PyYAML would
write the same way (an unusual string, a type other than str/int/bool/None) makes the whole
document go through PyYAML instead. Called by `cli._documents.dump_yaml`.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml

# A first character that makes PyYAML quote a plain scalar (indicators) or that we do not
# reason about; such strings take the slow, exact path.
_UNSAFE_START = frozenset("#,[]{}&*!|>'\"%@`?:- .")
_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_BREAKS = ("\x85", "\u2028", "\u2029")
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER: Any = yaml.resolver.Resolver()
# The C emitter when libyaml is there; the representer is Python either way.
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class BlockDumper(_BaseDumper):  # type: ignore[misc]
    """PyYAML's safe dumper writing multi-line strings (PromQL expressions) as `|` blocks."""


def _represent_str(dumper: Any, text: str) -> Any:
    if "\n" in text:
        return dumper.represent_scalar(_STR_TAG, text, style="|")
    return dumper.represent_str(text)


BlockDumper.add_representer(str, _represent_str)


class Unsupported(Exception):
    """Raised when a value is outside what this writer reproduces exactly."""


@functools.lru_cache(maxsize=65536)
def _plain_ok(text: str) -> bool:
    """Whether PyYAML writes this string as a plain scalar in block context."""
    return (
        bool(text)
        and text.isascii()
        and text.isprintable()
        and text[0] not in _UNSAFE_START
        and text[-1] not in " :"
        and ": " not in text
        and " #" not in text
        and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG
    )


def _never_plain(text: str) -> bool:
    """Strings PyYAML certainly quotes: indicators, edge spaces, or another type's look."""
    return (
        not text
        or text[0] in _INDICATORS
        or text[0] == " "
        or text[-1] in " :"
        or ": " in text
        or " #" in text
        or _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) != _STR_TAG
    )


@functools.lru_cache(maxsize=65536)
def _quoted(text: str) -> str:
    """A one-line string as PyYAML writes it, asked of PyYAML itself (cached)."""
    if text.isascii() and text.isprintable() and _never_plain(text):
        # PyYAML single-quotes printable one-line text it cannot write plain, and never folds
        # it at this width.
        return "'" + text.replace("'", "''") + "'"
    if any(line_break in text for line_break in _BREAKS):
        raise Unsupported(text)  # quoted line breaks are indented by context: not reproduced
    dumped: str = yaml.dump(text, Dumper=BlockDumper, width=1 << 16, allow_unicode=True)
    body = dumped.removesuffix("\n...\n").removesuffix("\n")
    if "\n" in body:
        raise Unsupported(text)
    return body


def _literal_ok(text: str) -> bool:
    """Multi-line text PyYAML writes as a `|-` block with no indentation hint."""
    lines = text.split("\n")
    return (
        text.isascii()
        and all(line and line.isprintable() and line[-1] != " " for line in lines)
        and text[0] != " "
    )


@functools.lru_cache(maxsize=65536)
def _string(text: str, indent: int) -> str:
    """A string after `key: ` or `- `; a literal block carries its own lines."""
    if _plain_ok(text):
        return text
    if "\n" not in text:
        return _quoted(text)
    if not _literal_ok(text):
        raise Unsupported(text)
    pad = " " * indent
    return "|-\n" + "\n".join(pad + line for line in text.split("\n"))


def _other(value: Any) -> str:
    """A scalar that is not a string, or an empty collection."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is dict and not value:
        return "{}"
    if type(value) is list and not value:
        return "[]"
    raise Unsupported(type(value).__name__)


@functools.lru_cache(maxsize=4096)
def _key_line(key: str, indent: int) -> str:
    """`<indent>key:` for a key PyYAML writes plain."""
    if not _plain_ok(key):
        raise Unsupported(key)
    return " " * indent + key + ":"


def _mapping(data: dict[Any, Any], indent: int, out: list[str], first: str | None) -> None:
    for key, value in data.items():
        if type(key) is not str:
            raise Unsupported(key)
        head = _key_line(key, indent)
        if first is not None:  # the first key of a list item follows its "- "
            head, first = first + head[indent:], None
        kind = type(value)
        if kind is str:
            out.append(f"{head} {_string(value, indent + 2)}\n")
        elif kind is dict and value:
            out.append(head + "\n")
            _mapping(value, indent + 2, out, None)
        elif kind is list and value:
            out.append(head + "\n")
            _sequence(value, indent, out)  # PyYAML does not indent a list under a key
        else:
            out.append(f"{head} {_other(value)}\n")


def _sequence(items: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        kind = type(item)
        if kind is dict and item:
            _mapping(item, indent + 2, out, pad + "- ")
        elif kind is str and "\n" not in item:
            out.append(f"{pad}- {_string(item, indent + 2)}\n")
        elif kind is str or (kind is list and item):
            raise Unsupported(item)  # nested lists and blocks in lists: not needed, not written
        else:
            out.append(f"{pad}- {_other(item)}\n")


def dump(data: Any) -> str:
    """`data` as PyYAML's SafeDumper writes it (block style, insertion order, no folding)."""
    if isinstance(data, dict) and data:
        out: list[str] = []
        try:
            _mapping(data, 0, out, None)
            return "".join(out)
        except Unsupported:
            pass
    text: str = yaml.dump(
        data, Dumper=BlockDumper, sort_keys=False, width=1 << 16, allow_unicode=True
    )
    return text
