"""HPACK (RFC 7541): what either end of a gRPC connection needs to send headers and read the other's.

Sending: every field as a literal without indexing and without Huffman coding (RFC 7541
6.2.2), which every decoder must accept and which keeps no state. Reading: all of the
format (indexed fields, the dynamic table and its size updates, Huffman-coded strings),
since the other end chooses how it encodes.

Written for the two ends of gRPC that Tempo writes itself: :mod:`sdk._h2_channel` (the `tempo`
commands' client) and :mod:`devserver.h2_server`. It imports nothing.
"""

from __future__ import annotations

import sys
from array import array

# RFC 7541 Appendix A.
STATIC_TABLE: tuple[tuple[str, str], ...] = (
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
)

# RFC 7541 Appendix B gives the Huffman code of each byte value and of EOS (256). The code is
# canonical (codes of one length are consecutive, in symbol order, and each length follows
# on from the last), so the bit lengths alone determine it.
_CODE_LENGTHS = (
    "13,23,28,28,28,28,28,28,28,24,30,28,28,30,28,28,28,28,28,28,28,28,30,28,28,28,28,28,28,28,28,28,"
    "6,10,10,12,13,6,8,11,10,10,8,11,8,6,6,6,5,5,5,6,6,6,6,6,6,6,7,8,15,6,12,10,"
    "13,6,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,8,7,8,13,19,13,14,6,"
    "15,5,6,5,6,5,6,6,6,5,7,7,6,6,6,5,6,7,6,5,5,6,7,7,7,7,7,15,11,14,13,28,"
    "20,22,20,20,22,22,22,23,22,23,23,23,23,23,24,23,24,24,22,23,24,23,23,23,23,21,22,23,22,23,23,24,"
    "22,21,20,22,22,23,23,21,23,22,22,24,21,22,23,23,21,21,22,21,23,22,23,23,20,22,22,22,23,22,22,23,"
    "26,26,20,19,22,23,22,25,26,26,26,27,27,26,24,25,19,21,26,27,27,26,27,24,21,21,26,26,28,27,27,27,"
    "20,24,20,21,22,21,21,23,22,22,25,25,24,24,26,23,26,27,26,26,27,27,27,27,27,28,27,27,27,27,27,26,"
    "30"
)
EOS = 256
_EOS_PLUS_ONE = EOS + 1
_huffman_codes: dict[tuple[int, int], int] | None = None


def huffman_codes() -> dict[tuple[int, int], int]:
    """(bit length, code) -> symbol, the canonical code built from the lengths (once)."""
    global _huffman_codes
    if _huffman_codes is None:
        lengths = [int(n) for n in _CODE_LENGTHS.split(",")]
        codes: dict[tuple[int, int], int] = {}
        code, previous = 0, 0
        for symbol in sorted(range(len(lengths)), key=lambda s: (lengths[s], s)):
            code <<= lengths[symbol] - previous
            previous = lengths[symbol]
            codes[(previous, code)] = symbol
            code += 1
        _huffman_codes = codes
    return _huffman_codes


class HpackError(ValueError):
    """A header block that does not decode (a COMPRESSION_ERROR in HTTP/2 terms)."""


# The decoder walks the code's tree four bits at a time: for each inner node and nibble, the
# node it ends on and the symbol it completes on the way, if any (every code is at least five
# bits long, so a nibble completes at most one). Two table lookups a byte, where walking bit by
# bit cost eight dictionary lookups: the official SDK's requests bring a Huffman-coded field
# each, which took a quarter of the server's time per call. The tables come built, from
# `tempo_wire/_huffman_tables.py`: built at the first decode, they took 1.5 ms of a server's
# first call from the official SDK (`WorkflowEnvironment.start_local` waits for that call).
_NONE = -1
_nibble_tables: tuple[bytes, array, bytes] | None = None


def _tables() -> tuple[bytes, array, bytes]:
    """Per inner node * 16 + nibble, the next node (``following``) and the symbol completed
    plus one, 0 for none (``completed``); per inner node, whether ending there is valid
    padding (``padding``)."""
    global _nibble_tables
    if _nibble_tables is None:
        from tempo_wire import _huffman_tables

        completed = array("H")
        completed.frombytes(_huffman_tables.COMPLETED)
        if sys.byteorder != "little":
            completed.byteswap()
        _nibble_tables = (_huffman_tables.FOLLOWING, completed, _huffman_tables.PADDING)
    return _nibble_tables


def build_nibble_tables() -> tuple[list[int], list[int], list[bool]]:
    """The decoding tables, built from the code: (next node, symbol completed or -1) per inner
    node * 16 + nibble, and per inner node whether ending there is valid padding (up to seven
    1-bits from the root). `_huffman_tables` holds them (`tables_module_text`)."""
    children: list[list[int | None]] = [[None, None]]  # inner nodes; a leaf is -(symbol + 2)
    for (length, code), symbol in huffman_codes().items():
        node = 0
        for shift in range(length - 1, -1, -1):
            bit = (code >> shift) & 1
            if shift == 0:
                children[node][bit] = -(symbol + 2)
            else:
                child = children[node][bit]
                if child is None:
                    child = len(children)
                    children.append([None, None])
                    children[node][bit] = child
                node = child
    padding = [False] * len(children)
    node = 0
    for _ in range(8):  # the all-ones path: depths 0 to 7
        padding[node] = True
        child = children[node][1]
        if child is None or child < 0:
            break
        node = child
    following: list[int] = []
    completed: list[int] = []
    for start in range(len(children)):
        for nibble in range(16):
            node, symbol = start, _NONE
            for shift in (3, 2, 1, 0):
                child = children[node][(nibble >> shift) & 1]
                assert child is not None  # the code is complete: every path ends in a leaf
                if child < 0:
                    symbol, node = -child - 2, 0
                else:
                    node = child
            following.append(node)
            completed.append(symbol)
    return following, completed, padding


def tables_module_text() -> str:
    """The source of `tempo_wire/_huffman_tables.py`, from :func:`build_nibble_tables`."""
    following, completed, padding = build_nibble_tables()
    plus_one = array("H", [symbol + 1 for symbol in completed])
    if sys.byteorder != "little":
        plus_one.byteswap()

    def literal(name: str, data: bytes, comment: str) -> str:
        text = data.hex()
        lines = "".join(f'    "{text[i : i + 96]}"\n' for i in range(0, len(text), 96))
        return f"# {comment}\n{name} = bytes.fromhex(\n{lines})\n"

    return "\n".join(
        [
            '"""HPACK\'s Huffman decoding tables (`tempo_wire.hpack`), generated from RFC 7541\'s code by',
            "`hpack.tables_module_text()`; tests/sdk/test_hpack.py checks them against the code.",
            '"""',
            "",
            literal("FOLLOWING", bytes(following), "The next inner node, per inner node * 16 + nibble."),
            literal(
                "COMPLETED",
                plus_one.tobytes(),
                "The symbol a nibble completes, plus one (0: none), two bytes little-endian each.",
            ),
            literal("PADDING", bytes(padding), "1 where ending in that inner node is valid padding."),
        ]
    )


def huffman_decode(data: bytes) -> bytes:
    following, completed, padding = _tables()
    out = bytearray()
    node = 0
    for byte in data:
        at = (node << 4) | (byte >> 4)
        node = following[at]
        symbol = completed[at]
        if symbol:
            if symbol == _EOS_PLUS_ONE:
                raise HpackError("EOS inside a Huffman-coded string")
            out.append(symbol - 1)
        at = (node << 4) | (byte & 15)
        node = following[at]
        symbol = completed[at]
        if symbol:
            if symbol == _EOS_PLUS_ONE:
                raise HpackError("EOS inside a Huffman-coded string")
            out.append(symbol - 1)
    # What is left must be padding: fewer than 8 bits, all ones (a prefix of EOS).
    if not padding[node]:
        raise HpackError("invalid Huffman padding")
    return bytes(out)


def encode_integer(value: int, prefix_bits: int, first_byte: int = 0) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first_byte | value,))
    out = bytearray((first_byte | limit,))
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode(headers: list[tuple[str, str | bytes]]) -> bytes:
    """A header block of literal fields, neither indexed nor Huffman-coded."""
    out = bytearray()
    for name, value in headers:
        raw_name = name.encode("ascii")
        raw_value = value if isinstance(value, bytes) else value.encode("utf-8")
        out.append(0x00)  # literal without indexing, new name
        out += encode_integer(len(raw_name), 7) + raw_name
        out += encode_integer(len(raw_value), 7) + raw_value
    return bytes(out)


# Huffman-coded strings already decoded. Some encoders never index a field that varies by
# call, such as the Rust h2 crate's `:path` (the official SDK's): each of its requests would
# decode its method's path again, about 50 bytes.
_decoded: dict[bytes, str] = {}
_DECODED_ENTRIES = 4096
_DECODED_LENGTH = 256


_BLOCKS_KEPT = 64


class Decoder:
    """Decodes the header blocks of one connection, in order (they share a dynamic table).

    A client sends the same block again and again once its headers are in the table (the same
    method, the same metadata): a block that changed nothing in the table is kept with what
    it decoded to, and the same bytes decode to the same headers for as long as the table
    stays as it was (its `_version`).
    """

    def __init__(self, max_table_size: int = 4096) -> None:
        self._table: list[tuple[str, str]] = []  # newest first
        self._size = 0
        self._max_size = max_table_size
        self._limit = max_table_size  # what our SETTINGS allow the server to ask for
        self._version = 0  # moves with every change to the table
        self._blocks: dict[bytes, tuple[int, list[tuple[str, str]]]] = {}

    def decode(self, block: bytes) -> list[tuple[str, str]]:
        """The headers of ``block`` (the caller must not change the list)."""
        kept = self._blocks.get(block)
        if kept is not None and kept[0] == self._version:
            return kept[1]
        version = self._version
        headers = self._decode(block)
        if self._version == version:
            if len(self._blocks) >= _BLOCKS_KEPT:
                self._blocks.clear()
            self._blocks[block] = (version, headers)
        return headers

    def _decode(self, block: bytes) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        pos = 0
        while pos < len(block):
            first = block[pos]
            if first & 0x80:  # indexed field
                index, pos = self._integer(block, pos, 7)
                headers.append(self._entry(index))
            elif first & 0x40:  # literal, added to the table
                name, value, pos = self._literal(block, pos, 6)
                headers.append((name, value))
                self._add(name, value)
            elif first & 0x20:  # table size update
                size, pos = self._integer(block, pos, 5)
                if size > self._limit:
                    raise HpackError("table size update above the limit")
                self._max_size = size
                self._version += 1
                self._evict()
            else:  # literal not indexed (0000) or never indexed (0001)
                name, value, pos = self._literal(block, pos, 4)
                headers.append((name, value))
        return headers

    def _entry(self, index: int) -> tuple[str, str]:
        if 0 < index <= len(STATIC_TABLE):
            return STATIC_TABLE[index - 1]
        dynamic = index - len(STATIC_TABLE) - 1
        if index == 0 or dynamic >= len(self._table):
            raise HpackError(f"header index {index} out of range")
        return self._table[dynamic]

    def _literal(self, block: bytes, pos: int, prefix_bits: int) -> tuple[str, str, int]:
        index, pos = self._integer(block, pos, prefix_bits)
        if index:
            name = self._entry(index)[0]
        else:
            name, pos = self._string(block, pos)
        value, pos = self._string(block, pos)
        return name, value, pos

    def _string(self, block: bytes, pos: int) -> tuple[str, int]:
        if pos >= len(block):
            raise HpackError("truncated header block")
        huffman = block[pos] & 0x80
        length, pos = self._integer(block, pos, 7)
        raw = block[pos : pos + length]
        if len(raw) < length:
            raise HpackError("truncated header block")
        # Latin-1 maps bytes to text one to one: binary (-bin) values survive untouched.
        if not huffman:
            return raw.decode("latin-1"), pos + length
        text = _decoded.get(raw)
        if text is None:
            text = huffman_decode(raw).decode("latin-1")
            if len(_decoded) < _DECODED_ENTRIES and length <= _DECODED_LENGTH:
                _decoded[raw] = text
        return text, pos + length

    @staticmethod
    def _integer(block: bytes, pos: int, prefix_bits: int) -> tuple[int, int]:
        limit = (1 << prefix_bits) - 1
        value = block[pos] & limit
        pos += 1
        if value < limit:
            return value, pos
        shift = 0
        while True:
            if pos >= len(block) or shift > 28:
                raise HpackError("truncated or oversized integer")
            byte = block[pos]
            pos += 1
            value += (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value, pos

    def _add(self, name: str, value: str) -> None:
        self._version += 1
        self._table.insert(0, (name, value))
        self._size += len(name) + len(value) + 32
        self._evict()

    def _evict(self) -> None:
        while self._size > self._max_size and self._table:
            name, value = self._table.pop()
            self._size -= len(name) + len(value) + 32
