"""HPACK (`tempo_wire.hpack`) read and written as `hpack`, python-hyper's implementation, does.

What a server sends is decoded here whatever the server chose: Huffman or not, indexed
names and fields, a dynamic table that fills, evicts and changes size between blocks.
"""

from __future__ import annotations

import hpack
import pytest
from hpack.huffman import HuffmanEncoder
from hpack.huffman_constants import REQUEST_CODES, REQUEST_CODES_LENGTH
from hpack.table import HeaderTable
from hypothesis import given, settings
from hypothesis import strategies as st

from tempo_wire import hpack as _hpack

names = st.sampled_from(
    ["grpc-status", "grpc-message", "content-type", "x-team", "grpc-status-details-bin", "date", ":status"]
) | st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=300)
blocks = st.lists(st.lists(st.tuples(names, values), max_size=8), min_size=1, max_size=6)


def test_the_tables_are_the_rfcs() -> None:
    assert [(n.encode(), v.encode()) for n, v in _hpack.STATIC_TABLE] == list(HeaderTable.STATIC_TABLE)
    codes = {symbol: (length, code) for (length, code), symbol in _hpack.huffman_codes().items()}
    assert [codes[s] for s in range(257)] == list(zip(REQUEST_CODES_LENGTH, REQUEST_CODES, strict=True))


def test_the_shipped_decoding_tables_are_built_from_the_code() -> None:
    # `_huffman_tables` is generated (the decoder no longer builds its tables at the first
    # call); it must be what the builder makes from the RFC's code, and its text what the
    # generator writes (regenerate it with hpack.tables_module_text() after changing either).
    from pathlib import Path

    from tempo_wire import _huffman_tables

    following, completed, padding = _hpack.build_nibble_tables()
    shipped_following, shipped_completed, shipped_padding = _hpack._tables()
    assert list(shipped_following) == following
    assert [symbol - 1 for symbol in shipped_completed] == completed
    assert [bool(b) for b in shipped_padding] == padding
    assert Path(_huffman_tables.__file__).read_text() == _hpack.tables_module_text()


@given(st.binary(max_size=400))
def test_huffman_coded_strings_decode(data: bytes) -> None:
    coder = HuffmanEncoder(REQUEST_CODES, REQUEST_CODES_LENGTH)
    assert _hpack.huffman_decode(coder.encode(data)) == data


@settings(max_examples=150)
@given(blocks, st.booleans(), st.sampled_from([4096, 256, 0]))
def test_header_blocks_decode_as_encoded(headers: list[list[tuple[str, str]]], huffman: bool, table_size: int) -> None:
    encoder, decoder = hpack.Encoder(), _hpack.Decoder()
    for number, block in enumerate(headers):
        if number == 1:
            encoder.header_table_size = table_size  # a size update opens the next block
        encoded = encoder.encode([(n.encode(), v.encode("latin-1")) for n, v in block], huffman=huffman)
        assert decoder.decode(encoded) == block


@settings(max_examples=150)
@given(
    st.lists(st.lists(st.tuples(names, values), max_size=5), min_size=1, max_size=3),
    st.lists(st.integers(0, 2), min_size=1, max_size=12),
    st.sampled_from([4096, 256]),
)
def test_blocks_sent_again_decode_as_the_table_stands(
    kinds: list[list[tuple[str, str]]], order: list[int], table_size: int
) -> None:
    # A client's requests repeat their headers: once they are in its table, the same block
    # comes again (kept by the decoder), until a new header moves the table's indices.
    encoder, decoder = hpack.Encoder(), _hpack.Decoder()
    encoder.header_table_size = table_size
    for number in order:
        block = kinds[number % len(kinds)]
        encoded = encoder.encode([(n.encode(), v.encode("latin-1")) for n, v in block])
        assert decoder.decode(encoded) == block


def test_a_kept_block_is_not_used_once_the_table_moved() -> None:
    decoder = _hpack.Decoder()
    first = bytes([0x40, 1]) + b"a" + bytes([1]) + b"1"  # literal a: 1, added at index 62
    decoder.decode(first)
    assert decoder.decode(b"\xbe") == [("a", "1")]  # indexed 62
    decoder.decode(bytes([0x40, 1]) + b"b" + bytes([1]) + b"2")  # b: 2 now at 62, a: 1 at 63
    assert decoder.decode(b"\xbe") == [("b", "2")]


@given(st.lists(st.tuples(names, values), max_size=10))
def test_what_we_send_decodes(headers: list[tuple[str, str]]) -> None:
    encoded = _hpack.encode([(n, v.encode("latin-1")) for n, v in headers])
    assert hpack.Decoder().decode(encoded, raw=True) == [(n.encode(), v.encode("latin-1")) for n, v in headers]


@pytest.mark.parametrize(
    "block",
    [
        b"\xbf",  # indexed field 63: past the static table, and the dynamic table is empty
        b"\x00\x01a\x81\x00",  # a Huffman string whose padding is not all ones
        b"\x00\x05ab",  # shorter than its length
        b"\x3f\xe2\x1f",  # a table size update (4097) above the limit the client set
        b"\x0f\xff\xff\xff\xff\xff\x7f",  # an integer past 2**28
    ],
)
def test_garbage_is_a_decoding_error(block: bytes) -> None:
    with pytest.raises(_hpack.HpackError):
        _hpack.Decoder().decode(block)
