"""A codec for CSV files that mix GB18030 and UTF-8 lines, decided line by line.

Offices paste rows from a UTF-8 system into a GB18030 export. Decoded whole as GB18030 such a file
"succeeds" and loads the UTF-8 rows as mojibake; decoded whole as UTF-8 it fails. Both readers (the
whole-file one and the batched one) open files through Python codecs, so the per-line decision is a
registered codec (MIXED): every reader, the header scan and the UTF-8 copy for polars agree on it.
A line is UTF-8 when it decodes as UTF-8 and holds a CJK character (GB18030 bytes almost never do both);
otherwise it is GB18030. Line breaks are never inside a multi-byte character in either encoding.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from itertools import chain
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Buffer

MIXED = "gb18030_utf8_lines"
_CJK = re.compile("[\u4e00-\u9fff]")


def _utf8_line(line: bytes) -> str | None:
    """The line's text when it is (non-ASCII) UTF-8 with Chinese in it, else None."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _CJK.search(text) else None


def decode_line(line: bytes) -> str:
    """One physical line: ASCII, UTF-8 (see _utf8_line), else GB18030 (strict)."""
    if line.isascii():
        return line.decode("ascii")
    text = _utf8_line(line)
    return text if text is not None else line.decode("gb18030")


def classify_lines(blocks: Iterable[bytes]) -> tuple[int, bool]:
    """(UTF-8 lines, any non-blank content) of a file that is not UTF-8 throughout.

    Raises UnicodeDecodeError when a line is neither UTF-8 nor GB18030.
    """
    utf8 = 0
    content = False
    pending = b""
    for block in chain(blocks, [None]):
        data = pending + (block or b"")
        cut = len(data) if block is None else data.rfind(b"\n") + 1
        pending = data[cut:]
        for line in data[:cut].splitlines():
            content = content or bool(line.strip())
            if line.isascii():
                continue
            if _utf8_line(line) is not None:
                utf8 += 1
            else:
                line.decode("gb18030")
    return utf8, content


class _LineDecoder(codecs.IncrementalDecoder):
    """Decodes whole lines as they complete; the tail of a block waits for its line break."""

    def __init__(self, errors: str = "strict") -> None:
        super().__init__(errors)
        self.pending = b""

    def decode(self, input: Buffer, final: bool = False) -> str:  # noqa: A002 - the codecs signature
        data = self.pending + bytes(input)
        cut = len(data) if final else data.rfind(b"\n") + 1
        self.pending = data[cut:]
        return "".join(decode_line(line) for line in data[:cut].splitlines(keepends=True))

    def reset(self) -> None:
        self.pending = b""

    def getstate(self) -> tuple[bytes, int]:
        return self.pending, 0

    def setstate(self, state: tuple[bytes, int]) -> None:
        self.pending = state[0]


def _decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
    return _LineDecoder(errors).decode(data, final=True), len(data)


def _search(name: str) -> codecs.CodecInfo | None:
    if name != MIXED:
        return None
    utf8 = codecs.lookup("utf-8")
    return codecs.CodecInfo(
        encode=utf8.encode,
        decode=_decode,  # type: ignore[arg-type]
        incrementalencoder=utf8.incrementalencoder,
        incrementaldecoder=_LineDecoder,
        name=MIXED,
    )


codecs.register(_search)
