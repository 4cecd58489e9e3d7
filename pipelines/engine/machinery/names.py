"""Deck file names a run cannot use: each report line, summary line and ledger entry names its
deck, so a name with a line break or form feed would break a printed page, a name that is not
UTF-8 cannot be printed or stored as text, and a path part over 255 bytes cannot be opened on
the usual file systems. Such a deck is refused by name before anything reads it (the command
line: 12; a deck found in the inbox: 8 for that deck)."""

from __future__ import annotations

from pathlib import Path

NAME_MAX = 255  # bytes in one path part (Linux, macOS, Windows file systems)
_BREAKS = {"\n": "a line feed", "\r": "a carriage return", "\f": "a form feed",
           "\v": "a vertical tab"}


def shown(path: Path | str) -> str:
    """The path as an operator can read it: as is when usable, else quoted with escapes."""
    text = str(path)
    return text if unusable(path) is None else ascii(text)


def unusable(path: Path | str) -> str | None:
    """Why the file name cannot be used (None when it can)."""
    text = str(path)
    for char, what in _BREAKS.items():
        if char in text:
            return f"the name holds {what}"
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        return "the name is not UTF-8 text"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return "the name holds a control character"
    longest = max((len(part) for part in encoded.split(b"/")), default=0)
    if longest > NAME_MAX:
        return f"a part of the path is {longest} bytes long; at most {NAME_MAX} can be opened"
    return None


def refusal(path: Path | str) -> str | None:
    """The whole message for a deck refused by its name, or None."""
    why = unusable(path)
    if why is None:
        return None
    return (f"{shown(path)}: unusable file name: {why}; rename the file (letters, digits, "
            "'.', '-', '_') and send it again")
