"""The schema: FileMetaData's flat, depth-first SchemaElement list as a tree.

Each node knows its path, repetition, and the definition and repetition levels
(``max_def``, ``max_rep``) reached at it; each leaf is a ``ColumnDescriptor``
with physical type, logical type (converted types of old writers are mapped to
their logical equivalents, as LogicalTypes.md's compatibility section says),
type length, precision and scale. Validation is strict: a schema that cannot
be a tree (child counts running past the list, leaves without a type, absurd
depth) raises ``CorruptFileError``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .._thrift import ConvertedType, FieldRepetitionType, Type
from ..errors import CorruptFileError

MAX_DEPTH = 128

REQUIRED = FieldRepetitionType.REQUIRED
OPTIONAL = FieldRepetitionType.OPTIONAL
REPEATED = FieldRepetitionType.REPEATED

TYPE_NAMES = Type._VALUES_TO_NAMES


@dataclass(frozen=True)
class Logical:
    """A column's logical type, normalised from LogicalType or ConvertedType.

    ``kind`` is one of: string, enum, json, bson, uuid, float16, date, time,
    timestamp, decimal, int, interval, map, list, null, variant, geometry,
    geography, file, or None for a bare physical type. ``unit`` is 'ms', 'us'
    or 'ns' for time and timestamp; ``utc`` is isAdjustedToUTC; ``bit_width``
    and ``signed`` describe int; ``precision`` and ``scale`` describe decimal.
    """

    kind: str | None = None
    unit: str | None = None
    utc: bool | None = None
    bit_width: int | None = None
    signed: bool | None = None
    precision: int | None = None
    scale: int | None = None
    unknown: bool = False  # a LogicalType member this version does not know

    def __str__(self) -> str:
        if self.kind is None:
            return ""
        args = []
        if self.kind in ("time", "timestamp"):
            args = [self.unit, "UTC" if self.utc else "local"]
        elif self.kind == "int":
            args = [str(self.bit_width), "signed" if self.signed else "unsigned"]
        elif self.kind == "decimal":
            args = [str(self.precision), str(self.scale)]
        return self.kind.upper() + (f"({', '.join(map(str, args))})" if args else "")


@dataclass(eq=False)
class SchemaNode:
    """One SchemaElement in the tree (group or leaf)."""

    element: object
    name: str
    path: tuple
    repetition: int
    max_def: int
    max_rep: int
    logical: Logical
    parent: "SchemaNode | None" = None
    children: list = field(default_factory=list)
    column_index: int = -1  # leaf position in column order, -1 for groups
    key: str = ""  # top-level fields: the name, or for a name two fields share, one per position

    @property
    def is_leaf(self) -> bool:
        return not self.children and self.element.type is not None

    @property
    def physical_type(self):
        return self.element.type

    @property
    def type_length(self):
        return self.element.type_length

    @property
    def optional(self) -> bool:
        return self.repetition == OPTIONAL

    @property
    def repeated(self) -> bool:
        return self.repetition == REPEATED

    def leaves(self):
        """Leaf descendants in column order."""
        if self.is_leaf:
            yield self
        for child in self.children:
            yield from child.leaves()

    def ancestors(self):
        """Nodes from the top-level field down to this one (the root excluded)."""
        chain = []
        node = self
        while node.parent is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]


ColumnDescriptor = SchemaNode  # a leaf; the name used where only leaves are meant


class Schema:
    """The tree of a file's schema, with its leaves (columns) in file order."""

    def __init__(self, elements, path=None):
        self.elements = elements
        self.root = _build_tree(elements, path)
        self.columns: list[SchemaNode] = list(self.root.leaves()) if self.root.children else []
        for i, leaf in enumerate(self.columns):
            leaf.column_index = i
        self._by_path = {leaf.path: leaf for leaf in self.columns}
        counts: dict = {}
        for node in self.root.children:
            counts[node.name] = counts.get(node.name, 0) + 1
        for i, node in enumerate(self.root.children):
            node.key = node.name if counts[node.name] == 1 else f"{node.name}\x00#{i}"
        self._by_key = {node.key: node for node in self.root.children}
        self._by_name = None    # name -> first top-level field of that name, built on first use
        self._names = None
        self._keys = None
        self._keys_by_name = None

    @property
    def keys(self) -> "FieldNames":
        """One key per top-level field: its name, unless another field has the same name
        (legal in Parquet): then a key for its position, which no pandas metadata names.
        Built once; ``key in schema.keys`` is a set lookup."""
        if self._keys is None:
            self._keys = FieldNames(node.key for node in self.root.children)
        return self._keys

    def keys_named(self, name) -> list:
        """The keys of the top-level fields called ``name`` (two or more for a shared name): a dict
        built once, since callers ask once per requested column."""
        if self._keys_by_name is None:
            by_name: dict = {}
            for node in self.root.children:
                by_name.setdefault(node.name, []).append(node.key)
            self._keys_by_name = by_name
        return list(self._keys_by_name.get(name, ()))

    @property
    def fields(self) -> list:
        """Top-level fields (what become DataFrame columns)."""
        return self.root.children

    @property
    def names(self) -> "FieldNames":
        """Top-level field names in order; ``name in schema.names`` is a dict lookup (callers
        test membership once per column: a list made a 300,000-column file quadratic)."""
        if self._names is None:
            self._names = FieldNames(node.name for node in self.root.children)
        return self._names

    def column(self, path) -> SchemaNode:
        """The leaf at ``path`` (tuple, list, or dotted string)."""
        key = tuple(path.split(".")) if isinstance(path, str) else tuple(path)
        return self._by_path[key]

    def field(self, name: str) -> SchemaNode:
        """The top-level field of key ``name`` (or, for a shared name, the first of that name): dicts
        built once, so a wide schema is not searched per column."""
        node = self._by_key.get(name)
        if node is not None:
            return node
        if self._by_name is None:
            by_name: dict = {}
            for child in self.root.children:
                by_name.setdefault(child.name, child)
            self._by_name = by_name
        return self._by_name[name]

    def __len__(self) -> int:
        return len(self.columns)

    def __eq__(self, other) -> bool:
        return isinstance(other, Schema) and self.elements == other.elements

    def __str__(self) -> str:
        lines = [f"message {self.root.name} {{"]
        for child in self.root.children:
            _render(child, 1, lines)
        lines.append("}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


class FieldNames(tuple):
    """Top-level field names (a tuple: shared, so not to be changed) whose ``in`` is a set lookup."""

    def __new__(cls, names):
        self = super().__new__(cls, names)
        self._set = frozenset(self)
        return self

    def __contains__(self, name) -> bool:
        try:
            return name in self._set
        except TypeError:       # an unhashable label is no field's name
            return False

    def __eq__(self, other) -> bool:     # equal to the list it used to be, too
        return list(self) == other if isinstance(other, list) else tuple.__eq__(self, other)

    def __ne__(self, other) -> bool:
        return not self == other

    __hash__ = tuple.__hash__

    def __add__(self, other):
        return list(self) + list(other)

    def __radd__(self, other):
        return list(other) + list(self)

    def __repr__(self) -> str:
        return repr(list(self))


def _render(node: SchemaNode, depth: int, lines: list) -> None:
    pad = "  " * depth
    rep = FieldRepetitionType._VALUES_TO_NAMES.get(node.repetition, "?").lower()
    note = f" ({node.logical})" if node.logical.kind else ""
    conv = node.element.converted_type
    if not note and conv is not None:
        note = f" ({ConvertedType._VALUES_TO_NAMES.get(conv, conv)})"
    if node.is_leaf:
        ptype = TYPE_NAMES.get(node.physical_type, "?").lower()
        if node.physical_type == Type.FIXED_LEN_BYTE_ARRAY:
            ptype += f"({node.type_length})"
        lines.append(f"{pad}{rep} {ptype} {node.name}{note};")
        return
    lines.append(f"{pad}{rep} group {node.name}{note} {{")
    for child in node.children:
        _render(child, depth + 1, lines)
    lines.append(f"{pad}}}")


def _build_tree(elements, path) -> SchemaNode:
    if not elements:
        raise CorruptFileError("schema is empty", path=path)
    root_el = elements[0]
    root = SchemaNode(root_el, root_el.name, (), REQUIRED, 0, 0, Logical())
    expected = _child_count(root_el, 0, len(elements), path)
    stack = [(root, expected)]
    i = 1
    while stack:
        parent, remaining = stack[-1]
        if remaining == 0:
            stack.pop()
            continue
        if i >= len(elements):
            raise CorruptFileError(
                f"schema element {parent.name!r} announces more children than the schema holds", path=path
            )
        stack[-1] = (parent, remaining - 1)
        node = _make_node(elements[i], parent, i, path)
        parent.children.append(node)
        n_children = _child_count(elements[i], i, len(elements), path)
        if n_children:
            if len(stack) >= MAX_DEPTH:
                raise CorruptFileError(f"schema nesting deeper than {MAX_DEPTH}", path=path)
            stack.append((node, n_children))
        elif elements[i].type is None and elements[i].num_children is None:
            raise CorruptFileError(f"schema element {elements[i].name!r} has neither a type nor children", path=path)
        i += 1
    if i != len(elements):
        raise CorruptFileError(f"schema has {len(elements) - i} elements outside the tree", path=path)
    return root


def _child_count(el, i, total, path) -> int:
    n = el.num_children or 0
    if n < 0 or n > total - i - 1:
        raise CorruptFileError(f"schema element {el.name!r} has an invalid child count {n}", path=path)
    return n


def _make_node(el, parent: SchemaNode, i: int, path) -> SchemaNode:
    rep = el.repetition_type if el.repetition_type is not None else OPTIONAL
    if rep not in (REQUIRED, OPTIONAL, REPEATED):
        raise CorruptFileError(f"schema element {el.name!r} has an invalid repetition {rep}", path=path)
    if el.num_children is None and el.type not in TYPE_NAMES:
        raise CorruptFileError(f"schema element {el.name!r} has an invalid physical type {el.type}", path=path)
    if el.type == Type.FIXED_LEN_BYTE_ARRAY and not el.num_children and (el.type_length is None or el.type_length < 0):
        raise CorruptFileError(f"FIXED_LEN_BYTE_ARRAY column {el.name!r} has no valid type_length", path=path)
    max_def = parent.max_def + (rep != REQUIRED)
    max_rep = parent.max_rep + (rep == REPEATED)
    node = SchemaNode(el, el.name, parent.path + (el.name,), rep, max_def, max_rep, logical_of(el), parent)
    problem = annotation_problem(node.logical, None if el.num_children else el.type, el.type_length)
    if problem:
        raise CorruptFileError(f"annotation {_annotation_name(el, node.logical)} {problem}",
                               path=path, column=node.path)
    return node


_I32, _I64, _BA, _FLBA = Type.INT32, Type.INT64, Type.BYTE_ARRAY, Type.FIXED_LEN_BYTE_ARRAY
# Which physical type each logical kind may annotate (LogicalTypes.md); None = a group.
_ALLOWED = {
    "string": {_BA}, "enum": {_BA}, "json": {_BA}, "bson": {_BA}, "geometry": {_BA}, "geography": {_BA},
    "uuid": {_FLBA}, "float16": {_FLBA}, "interval": {_FLBA}, "date": {_I32}, "timestamp": {_I64},
    "decimal": {_I32, _I64, _BA, _FLBA}, "int": {_I32, _I64}, "list": {None}, "map": {None},
    "variant": {None}, "time": {_I32, _I64},
}
_FIXED_LENGTH = {"uuid": 16, "float16": 2, "interval": 12}


def annotation_problem(logical: Logical, ptype, type_length) -> str | None:
    """Why ``logical`` cannot annotate a ``ptype`` column (None: a group), or None when it can.

    Every reader that checks (pyarrow, duckdb, polars) refuses such a file; reading the
    physical values through the annotation would narrow or reinterpret them silently.
    """
    kind = logical.kind
    allowed = _ALLOWED.get(kind)
    if allowed is None:  # no annotation, null (any type), file, or one this version does not know
        return None
    if ptype not in allowed:
        return f"cannot annotate {_physical_name(ptype)}"
    if kind in _FIXED_LENGTH and type_length != _FIXED_LENGTH[kind]:
        return f"needs FIXED_LEN_BYTE_ARRAY({_FIXED_LENGTH[kind]}), not ({type_length})"
    if kind == "int":
        return _int_problem(logical, ptype)
    if kind == "time" and (ptype == _I32) != (logical.unit == "ms"):
        return f"cannot annotate {_physical_name(ptype)}"
    if kind == "decimal":
        return _decimal_problem(logical, ptype, type_length)
    return None


def _int_problem(logical: Logical, ptype) -> str | None:
    width = logical.bit_width
    if width not in (8, 16, 32, 64):
        return f"has an invalid bit width {width}"
    if (width == 64) != (ptype == _I64):
        return f"cannot annotate {_physical_name(ptype)}"
    return None


def _decimal_problem(logical: Logical, ptype, type_length) -> str | None:
    precision, scale = logical.precision, logical.scale
    if not isinstance(precision, int) or precision < 1:
        return f"has an invalid precision {precision}"
    if not isinstance(scale, int) or not 0 <= scale <= precision:
        return f"has a scale {scale} outside 0..{precision}"
    limit = {_I32: 9, _I64: 18}.get(ptype)
    if ptype == _FLBA:
        limit = max_decimal_digits(type_length) if type_length else 0
    if limit is not None and precision > limit:
        return f"needs more digits than {_physical_name(ptype, type_length)} holds (at most {limit})"
    return None


def max_decimal_digits(n_bytes: int) -> int:
    """The most decimal digits a signed ``n_bytes``-byte two's complement integer holds."""
    if n_bytes > 1024:  # more digits than any i32 precision; str() of it would be slow (or refused)
        return 2**31
    return len(str(2 ** (8 * n_bytes - 1) - 1)) - 1


def _physical_name(ptype, type_length=None) -> str:
    if ptype is None:
        return "a group"
    name = TYPE_NAMES.get(ptype, str(ptype))
    return f"{name}({type_length})" if type_length is not None and ptype == _FLBA else name


def _annotation_name(el, logical: Logical) -> str:
    if el.logicalType is not None and not logical.unknown:
        return str(logical)
    return ConvertedType._VALUES_TO_NAMES.get(el.converted_type, str(logical))


_UNITS = {"MILLIS": "ms", "MICROS": "us", "NANOS": "ns"}
_SIMPLE_LOGICAL = {
    "STRING": "string", "MAP": "map", "LIST": "list", "ENUM": "enum", "DATE": "date",
    "UNKNOWN": "null", "JSON": "json", "BSON": "bson", "UUID": "uuid", "FLOAT16": "float16",
    "VARIANT": "variant", "GEOMETRY": "geometry", "GEOGRAPHY": "geography", "FILE": "file",
}
_FROM_CONVERTED = {
    ConvertedType.UTF8: Logical("string"),
    ConvertedType.MAP: Logical("map"),
    ConvertedType.MAP_KEY_VALUE: Logical("map"),
    ConvertedType.LIST: Logical("list"),
    ConvertedType.ENUM: Logical("enum"),
    ConvertedType.DATE: Logical("date"),
    ConvertedType.TIME_MILLIS: Logical("time", unit="ms", utc=True),
    ConvertedType.TIME_MICROS: Logical("time", unit="us", utc=True),
    ConvertedType.TIMESTAMP_MILLIS: Logical("timestamp", unit="ms", utc=True),
    ConvertedType.TIMESTAMP_MICROS: Logical("timestamp", unit="us", utc=True),
    ConvertedType.JSON: Logical("json"),
    ConvertedType.BSON: Logical("bson"),
    ConvertedType.INTERVAL: Logical("interval"),
}
# ConvertedType 24 ("NA") is not in the spec: old Arrow writers used it for all-null columns.
_FROM_CONVERTED[24] = Logical("null")
for _bits, _signed, _ct in [
    (8, False, ConvertedType.UINT_8), (16, False, ConvertedType.UINT_16),
    (32, False, ConvertedType.UINT_32), (64, False, ConvertedType.UINT_64),
    (8, True, ConvertedType.INT_8), (16, True, ConvertedType.INT_16),
    (32, True, ConvertedType.INT_32), (64, True, ConvertedType.INT_64),
]:
    _FROM_CONVERTED[_ct] = Logical("int", bit_width=_bits, signed=_signed)


def logical_of(el) -> Logical:
    """The normalised logical type of a SchemaElement."""
    lt = el.logicalType
    if lt is not None:
        found = _from_logical_type(lt, el)
        if found is not None:
            return found
    ct = el.converted_type
    if ct == ConvertedType.DECIMAL:
        return Logical("decimal", precision=el.precision, scale=el.scale or 0)
    return _FROM_CONVERTED.get(ct, Logical())


def _from_logical_type(lt, el) -> Logical | None:
    for spec in lt.thrift_spec:
        if spec is None:
            continue
        name = spec[2]
        value = getattr(lt, name)
        if value is None:
            continue
        if name in _SIMPLE_LOGICAL:
            return Logical(_SIMPLE_LOGICAL[name])
        if name == "DECIMAL":
            return Logical("decimal", precision=value.precision, scale=value.scale)
        if name in ("TIME", "TIMESTAMP"):
            return Logical(name.lower(), unit=_unit_of(value.unit), utc=bool(value.isAdjustedToUTC))
        if name == "INTEGER":
            return Logical("int", bit_width=value.bitWidth, signed=bool(value.isSigned))
    # an empty union: a member added to the spec after this IDL (read as physical)
    return Logical(unknown=True)


def _unit_of(unit) -> str | None:
    if unit is None:
        return None
    for name, short in _UNITS.items():
        if getattr(unit, name, None) is not None:
            return short
    return None
