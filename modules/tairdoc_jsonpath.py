"""TairDoc's JSONPath (cJSONUtils_GetPath of tair-opensource/TairDoc), evaluated in the proxy.

JSON.GET with a `$` path that needs more than member and index steps (wildcards,
descendants, slices, lists, filters) gets the stored document from Lua and answers from
here. This is a port of the module's selector compiler and evaluator with their quirks:
spaces vanish inside filters, `>=`/`<=` never parse, `..` also walks the siblings after
the node it starts from, slices walk cJSON's circular `prev` links, && / || results keep
the module's order, and comparisons zip two result lists pair by pair.

The document arrives in its stored form (see tairdoc.lua): cJSON's compact print with
\\1 before numbers whose print is lossy and bytes \\2..\\6 for \\" { } [ ] inside strings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------- numbers

INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
DBL_EPSILON = 2.220446049250313e-16


def cjson_number(d: float) -> bytes:
    """cJSON's print_number (see tairdoc.lua)."""
    if math.isnan(d) or math.isinf(d):
        return b"null"
    vi = INT_MAX if d >= INT_MAX else INT_MIN if d <= INT_MIN else int(d)
    if d == vi:
        return b"%d" % vi
    s = format(d, ".15g")
    t = float(s)
    if not abs(t - d) <= max(abs(t), abs(d)) * DBL_EPSILON:
        s = format(d, ".17g")
    return s.encode()


def _lossy_value(text: bytes) -> float:
    return float(text)  # Python reads inf / -inf as C's strtod does


def number_value(token: bytes) -> float:
    return _lossy_value(token[1:] if token[:1] == b"\x01" else token)


def wrap32(n: int) -> int:
    """A C int after an overflowing cast or sum (two's complement)."""
    return (n + 2**31) % 2**32 - 2**31


_STRTOL = re.compile(rb"[ \t\n\v\f\r]*([+-]?)([0-9]*)")


def c_atoi(s: bytes) -> int:
    """atoi: strtol (saturating at the long range), then the cast to int."""
    m = _STRTOL.match(s)
    value = int(m.group(2) or b"0") * (-1 if m.group(1) == b"-" else 1)
    value = max(-(2**63), min(2**63 - 1, value))
    return wrap32(value)


def c_int(d: float) -> int:
    """cJSON's valueint of a double (saturating)."""
    if d >= INT_MAX:
        return INT_MAX
    if d <= INT_MIN:
        return INT_MIN
    if math.isnan(d):
        return INT_MIN  # what x86's conversion gives
    return int(d)


_STRTOD = re.compile(
    rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    rb"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    rb"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)\Z"
)


def c_strtod_whole(s: bytes) -> float | None:
    """strtod when it reads all of s, else None."""
    if not _STRTOD.match(s):
        return None
    body = s.lstrip(b"+-")
    sign = -1.0 if s[:1] == b"-" else 1.0
    low = body.lower()
    if low.startswith(b"nan"):
        return math.nan
    if low.startswith(b"inf"):
        return sign * math.inf
    if low.startswith(b"0x"):
        try:
            return sign * float.fromhex(body.decode())
        except OverflowError:
            return sign * math.inf
    return float(s)


# ---------------------------------------------------------------------------- stored form

_ENCODE = {b: b"\\u%04x" % b for b in range(1, 32)}
_ENCODE.update({8: b"\\b", 12: b"\\f", 10: b"\\n", 13: b"\\r", 9: b"\\t", 34: b"\x02", 92: b"\\\\",
                123: b"\x03", 125: b"\x04", 91: b"\x05", 93: b"\x06"})
_ENCODE_CLASS = re.compile(rb'[\x01-\x1f"\\{}\[\]]')


def encode_raw(raw: bytes) -> bytes:
    """Raw string bytes -> stored body (tairdoc.lua's encode_raw)."""
    return _ENCODE_CLASS.sub(lambda m: _ENCODE[m.group()[0]], raw)


_DECODE_SIMPLE = {ord("b"): b"\b", ord("f"): b"\f", ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t",
                  ord("\\"): b"\\"}
_DECODE = re.compile(rb"\\(u[0-9a-f]{4}|.)|[\x02-\x06]", re.DOTALL)
_UNMARK = {2: b'"', 3: b"{", 4: b"}", 5: b"[", 6: b"]"}


def decode_body(body: bytes) -> bytes:
    """Stored body -> the raw C string it holds."""

    def one(m: re.Match) -> bytes:
        t = m.group()
        if t[0] != 92:
            return _UNMARK[t[0]]
        if t[1] == ord("u"):
            return bytes([int(t[2:], 16)])
        return _DECODE_SIMPLE[t[1]]

    return _DECODE.sub(one, body)


_LOSSY = re.compile(rb"\x01([^,\]}]*)")
_MARKS = re.compile(rb"[\x02-\x06]")
_PRINTED = {2: b'\\"', 3: b"{", 4: b"}", 5: b"[", 6: b"]"}


def render(text: bytes) -> bytes:
    """Stored text -> cJSON's print."""
    if b"\x01" in text:
        text = _LOSSY.sub(lambda m: cjson_number(_lossy_value(m.group(1))), text)
    return _MARKS.sub(lambda m: _PRINTED[m.group()[0]], text)


# cJSON type bits (cJSON.h); the comparisons of filters look at them.
FALSE, TRUE, NULL, NUMBER, STRING, ARRAY, OBJECT = 1, 2, 4, 8, 16, 32, 64
_SCALAR_TYPES = {ord("t"): TRUE, ord("f"): FALSE, ord("n"): NULL}


@dataclass(eq=False)
class Node:
    """A value of the document: its type, its span in the stored text, its place."""

    ctype: int
    start: int
    end: int = 0  # exclusive
    key: bytes | None = None  # stored form of the member name
    parent: Node | None = None
    index: int = 0
    children: list[Node] = field(default_factory=list)
    doc: bytes = b""

    def next_sibling(self) -> Node | None:
        if self.parent is None or self.index + 1 >= len(self.parent.children):
            return None
        return self.parent.children[self.index + 1]

    def number(self) -> float:
        return number_value(self.doc[self.start:self.end])

    def string(self) -> bytes:
        return decode_body(self.doc[self.start + 1:self.end - 1])

    def text(self) -> bytes:
        return render(self.doc[self.start:self.end])


def parse_stored(doc: bytes) -> Node:
    """The tree of a stored document (iterative: documents nest up to 1000 levels)."""
    pos, n = 0, len(doc)
    stack: list[Node] = []
    root: Node | None = None
    key: bytes | None = None

    def attach(node: Node) -> None:
        nonlocal root
        if stack:
            parent = stack[-1]
            node.parent, node.index = parent, len(parent.children)
            if parent.ctype == OBJECT:
                node.key = key
            parent.children.append(node)
        else:
            root = node

    def read_key() -> None:
        nonlocal pos, key
        end = doc.index(b'"', pos + 1)
        key = doc[pos + 1:end]
        pos = end + 2  # past '":'

    while True:
        c = doc[pos]
        if c in (123, 91):
            node = Node(OBJECT if c == 123 else ARRAY, pos, doc=doc)
            attach(node)
            stack.append(node)
            pos += 1
            if doc[pos] in (125, 93):
                node.end = pos + 1
                stack.pop()
                pos += 1
            else:
                if c == 123:
                    read_key()
                continue
        elif c == 34:
            end = doc.index(b'"', pos + 1) + 1
            attach(Node(STRING, pos, end, doc=doc))
            pos = end
        else:
            end = pos
            while end < n and doc[end] not in (44, 93, 125):
                end += 1
            attach(Node(_SCALAR_TYPES.get(c, NUMBER), pos, end, doc=doc))
            pos = end
        # after a value: commas and closing brackets
        while stack:
            top = stack[-1]
            if doc[pos] == 44:
                pos += 1
                if top.ctype == OBJECT:
                    read_key()
                break
            top.end = pos + 1
            stack.pop()
            pos += 1
        if not stack:
            assert root is not None
            return root


def get_object_item(node: Node, name: bytes) -> Node | None:
    """cJSON_GetObjectItemCaseSensitive: first member of exactly this (raw) name."""
    if node.ctype != OBJECT:
        return None
    ekey = encode_raw(name)
    for child in node.children:
        if child.key == ekey:
            return child
    return None


# ---------------------------------------------------------------------------- compiling

HEAD, ROOT, DOT, DOT_WILD, INDEX, INDEX_WILD, ARRAY_SLICE, DECENDANT, LIST, FILTER = range(10)
FIRST, LEFT, RIGHT, OR, AND, EXISTS, COMP, RESULT, LIST_ENTRY = range(9)
GT, LT, GTE, LTE, EQ, NE = range(6)


@dataclass(eq=False)
class Operand:
    """What parse_comp_from_str makes: a path (valuestring '@.x' / '$.x') or a literal."""

    ctype: int
    valuestring: bytes | None = None
    value: float = 0.0

    def number(self) -> float:
        return self.value

    def string(self) -> bytes:
        return self.valuestring or b""


@dataclass
class Selector:
    kind: int
    path: bytes = b""
    index: int = 0
    slice: tuple[int, int, int] = (0, 0, 0)
    entries: list[Operand] = field(default_factory=list)
    filters: list[tuple] = field(default_factory=list)  # (kind, payload) in list order


def _parse_operand(s: bytes) -> Operand | None:
    """parse_comp_from_str."""
    c = s[:1]
    if c in (b"@", b"$"):
        if s[1:2] != b".":
            return None
        return Operand(OBJECT, valuestring=s)
    if c == b"-" or c.isdigit():
        d = c_strtod_whole(s)
        if d is None:
            return None
        return Operand(NUMBER, value=d)
    if c in (b"'", b'"'):
        return Operand(STRING, valuestring=s[1:len(s) - 1] if len(s) >= 2 else b"")
    return None


def _parse_filter(text: bytes) -> tuple | None:
    """parse_filter_from_str: the first comparison operator splits (so '>=' is '>' then '=')."""
    size = len(text) + 1
    for i in range(len(text)):
        c = text[i]
        op = None
        if c == 0x3E and size - i > 1:
            op, right = GT, text[i + 1:]
        elif c == 0x3C and size - i > 1:
            op, right = LT, text[i + 1:]
        elif c == 0x21 and text[i + 1:i + 2] == b"=" and size - i > 2:
            op, right = NE, text[i + 2:]
        elif c == 0x3D and text[i + 1:i + 2] == b"=" and size - i > 2:
            op, right = EQ, text[i + 2:]
        if op is not None:
            left_operand = _parse_operand(text[:i])
            right_operand = _parse_operand(right)
            if left_operand is None or right_operand is None:
                return None
            return (COMP, (op, left_operand, right_operand))
    operand = _parse_operand(text)
    if operand is None:
        return None
    return (EXISTS, operand)


def _compile_filter(path: bytes, p: int) -> tuple[int, list[tuple]] | None:
    """compile_selector_filter: a stack machine that turns '[?(...)]' into a flat list of
    brackets, operators and filters (the order filter_selector executes)."""

    def at(k: int) -> int:
        return path[k] if k < len(path) else 0

    if at(p + 1) != 0x3F or at(p + 2) != 0x28:
        return None
    items: list[tuple] = [(FIRST, None)]
    length, p = 2, p + 2
    stack: list[int] = []
    while at(p) != 0x5D:
        c = at(p)
        if c == 0:
            return None
        if c == 0x29:  # ')'
            size = index = len(stack)
            tmp = [0] * size
            while stack and stack[-1] != 0x28:
                index -= 1
                tmp[index] = stack.pop()
            if not stack:
                return None
            index -= 1
            tmp[index] = stack.pop()
            if index == size - 1:
                items.append((RIGHT, None))
                p, length = p + 1, length + 1
                continue
            if stack and stack[-1] != 0x28:
                op = bytes([stack.pop(), stack.pop() if stack else 0xFF])
                if op == b"&&":
                    items.insert(len(items) - 1, (AND, None))
                elif op == b"||":
                    items.insert(len(items) - 1, (OR, None))
                else:
                    return None
            last_op = index + 1
            i = last_op
            while i < size:
                pair = bytes([tmp[i], tmp[i + 1] if i + 1 < size else 0])
                if pair in (b"&&", b"||"):
                    kind = AND if pair == b"&&" else OR
                    if i != last_op:
                        f = _parse_filter(bytes(tmp[last_op:i]))
                        if f is None:
                            return None
                        items.append(f)
                    items.append((kind, None))
                    i += 1
                    last_op = i + 1
                i += 1
            f = _parse_filter(bytes(tmp[last_op:size]))
            if f is None:
                return None
            items.append(f)
            items.append((RIGHT, None))
            p, length = p + 1, length + 1
            continue
        if c == 0x28:
            items.append((LEFT, None))
        elif c == 0x20:
            p, length = p + 1, length + 1
            continue
        stack.append(c)
        p, length = p + 1, length + 1
    if stack:
        return None
    return length + 1, items


def _compile_index_slice_list(path: bytes, p: int, out: list[Selector]) -> int:
    end = path.find(b"]", p + 1)
    if end < 0:
        return -1
    text = path[p + 1:end]
    n = len(text)
    if n == 0:
        return -1
    digits = sum(1 for c in text if 0x30 <= c <= 0x39)
    if digits == n or (digits == n - 1 and text[:1] in (b"-", b"+")):
        out.append(Selector(INDEX, index=c_atoi(text)))
        return n + 2
    if text.count(b"*") == n:
        out.append(Selector(INDEX_WILD))
        return 3
    if text.count(b":") == 2:
        parts = text.split(b":")
        if any(part == b"" for part in parts):
            return -1
        out.append(Selector(ARRAY_SLICE, slice=(c_atoi(parts[0]), c_atoi(parts[1]), c_atoi(parts[2]))))
        return n + 2
    if b"," in text:
        entries = []
        for token in text.split(b","):
            operand = _parse_operand(token)
            if operand is None:
                return -1
            entries.append(operand)
        out.append(Selector(LIST, entries=entries))
        return n + 2
    return -1


def _compile_dot(path: bytes, p: int, out: list[Selector]) -> int:
    m = re.compile(rb"[^.\[]*").match(path, p + 1)
    name = m.group()
    if not name:
        return -1
    out.append(Selector(DOT, path=name))
    return len(name) + 1


def compile_selector(path: bytes) -> list[Selector] | None:
    """compile_selector; None where the module's compiler fails."""
    out: list[Selector] = []
    p, n = 0, len(path)

    def at(k: int) -> int:
        return path[k] if k < n else 0

    while at(p) != 0:
        c = at(p)
        if c == 0x24:  # $
            out.append(Selector(ROOT))
            p += 1
        elif c == 0x2E:  # .
            if at(p + 1) == 0x2E:
                out.append(Selector(DECENDANT))
                if at(p + 2) == 0x2A:
                    out.append(Selector(DOT_WILD))
                    p += 3
                    continue
                if at(p + 2) == 0x5B:
                    p += 2
                    skip = _compile_index_slice_list(path, p, out)
                else:
                    p += 1
                    skip = _compile_dot(path, p, out)
            elif at(p + 1) == 0x2A:
                out.append(Selector(DOT_WILD))
                skip = 2
            else:
                skip = _compile_dot(path, p, out)
            if skip < 0:
                return None
            p += skip
        elif c == 0x5B:  # [
            nxt = at(p + 1)
            if nxt in (0x27, 0x22):
                m = re.compile(rb"[^'\"]*").match(path, p + 2)
                if m.end() >= n or not m.group():
                    return None
                out.append(Selector(DOT, path=m.group()))
                p += len(m.group()) + 4
            elif nxt == 0x3F:
                compiled = _compile_filter(path, p)
                if compiled is None:
                    return None
                out.append(Selector(FILTER, filters=compiled[1]))
                p += compiled[0]
            else:
                skip = _compile_index_slice_list(path, p, out)
                if skip < 0:
                    return None
                p += skip
        else:
            return None
    return out


SIMPLE = frozenset({HEAD, ROOT, DOT, INDEX})


def simple_steps(selectors: list[Selector]) -> list[bytes | int] | None:
    """Member and index steps when the path has nothing else (Lua answers those)."""
    if any(s.kind not in SIMPLE for s in selectors):
        return None
    return [s.path if s.kind == DOT else s.index for s in selectors if s.kind in (DOT, INDEX)]


# ---------------------------------------------------------------------------- evaluating
# Items are (node, parent) pairs: cJSON's references, whose valuestring holds the parent
# for dot_selector results (filters compare members and keep their owners).

Item = tuple[Node, "Node | None"]


def _dot(items: list[Item], name: bytes) -> list[Item]:
    out = []
    for node, _ in items:
        found = get_object_item(node, name)
        if found is not None:
            out.append((found, node))
    return out


def _children(items: list[Item]) -> list[Item]:
    return [(child, None) for node, _ in items for child in node.children]


def _post_order(node: Node, out: list[Item]) -> None:
    stack = [(node, 0)]
    while stack:
        current, i = stack.pop()
        if i < len(current.children):
            stack.append((current, i + 1))
            stack.append((current.children[i], 0))
        else:
            out.append((current, None))


def _descendants(items: list[Item]) -> list[Item]:
    """decendant_all_selector: from each node on through its following siblings, each
    subtree children first."""
    out: list[Item] = []
    for node, _ in items:
        current: Node | None = node
        while current is not None:
            _post_order(current, out)
            current = current.next_sibling()
    return out


def _slice(array: Node, start: int, end: int, step: int) -> list[Item]:
    """array_slice_selector, walking cJSON's links: prev of the first element is the last."""
    kids = array.children
    size = len(kids)
    if step == 0:
        return []
    ns = start if start >= 0 else size + start
    ne = end if end >= 0 else size + end
    out: list[Item] = []
    cur: int | None = 0 if size else None
    if step >= 0:
        lower, upper = min(max(ns, 0), size), min(max(ne, 0), size)
        for _ in range(lower):
            if cur is not None:
                cur = cur + 1 if cur + 1 < size else None
        while lower < upper:
            if cur is not None:
                out.append((kids[cur], None))
            i = 0
            while i < step and i < upper:
                if cur is not None:
                    cur = cur + 1 if cur + 1 < size else None
                i += 1
            lower = wrap32(lower + step)
        return out
    upper, lower = min(max(ns, -1), size - 1), min(max(ne, -1), size - 1)
    i = size
    while i > upper:
        if cur is not None:
            cur = (cur - 1) % size
        i -= 1
    while upper > lower:
        if cur is not None:
            out.append((kids[cur], None))
        i = 0
        while i > step and abs(i) < upper:
            if cur is not None:
                cur = (cur - 1) % size
            i -= 1
        upper = wrap32(upper + step)
    return out


def _array_item(array: Node, index: int) -> list[Item]:
    if index < 0:
        index += len(array.children)
    if 0 <= index < len(array.children):
        return [(array.children[index], None)]
    return []


def _compare(left, right, op: int) -> bool:
    """filter_compare: equal cJSON types only; strings by strcmp, numbers as doubles."""
    if left.ctype != right.ctype:
        return False
    if left.ctype == STRING:
        a, b = left.string(), right.string()
    elif left.ctype == NUMBER:
        a, b = left.number(), right.number()
    else:
        return op in (GTE, LTE, EQ)
    return {GT: a > b, LT: a < b, GTE: a >= b, LTE: a <= b, EQ: a == b, NE: a != b}[op]


class _Filter:
    """A node of the filter list filter_selector rewrites in place."""

    __slots__ = ("kind", "payload", "results", "prev", "next")

    def __init__(self, kind: int, payload=None, results=None):
        self.kind, self.payload, self.results = kind, payload, results
        self.prev: _Filter | None = None
        self.next: _Filter | None = None


def _operand_values(root: Node, items: list[Item], operand: Operand):
    """execute_filter_value: '@.x' -> the members (with owners); '$...' -> its first result
    when a scalar (else an empty list); a literal -> itself."""
    vs = operand.valuestring
    if vs and vs[:1] == b"@":
        return _dot(items, vs[2:])
    if vs and vs[:1] == b"$":
        selectors = compile_selector(vs)
        if selectors is None:
            return []
        results = evaluate(root, selectors)
        if not results:
            return []
        first = results[0][0]
        return first if first.ctype not in (ARRAY, OBJECT) else []
    return operand


def _execute(root: Node, items: list[Item], f: _Filter) -> _Filter | None:
    if f.kind == EXISTS:
        operand = f.payload
        if operand.valuestring is None:
            return None  # the module dereferences NULL here
        name = operand.valuestring[2:]
        return _Filter(RESULT, results=[node for node, _ in items if get_object_item(node, name) is not None])
    if f.kind != COMP:
        return None
    op, left_operand, right_operand = f.payload
    left = _operand_values(root, items, left_operand)
    right = _operand_values(root, items, right_operand)
    out: list[Node | None] = []
    if isinstance(left, list) and isinstance(right, list):
        for (lnode, lparent), (rnode, _) in zip(left, right, strict=False):
            if _compare(lnode, rnode, op):
                out.append(lparent)
    elif isinstance(left, list):
        out = [lparent for lnode, lparent in left if _compare(lnode, right, op)]
    elif isinstance(right, list):
        out = [rparent for rnode, rparent in right if _compare(left, rnode, op)]
    else:
        return None
    return _Filter(RESULT, results=[n for n in out if n is not None])


def _result_of(root: Node, items: list[Item], f: _Filter) -> _Filter | None:
    return f if f.kind == RESULT else _execute(root, items, f)


def _combine(root: Node, items: list[Item], f: _Filter) -> _Filter | None:
    """execute_filter_and / _or on f's neighbours, spliced in their place."""
    if f.prev is None or f.next is None:
        return None
    left, right = _result_of(root, items, f.prev), _result_of(root, items, f.next)
    if left is None or right is None:
        return None
    if f.kind == AND:
        results = [node for node in left.results if any(node is r for r in right.results)]
    else:
        results = list(right.results) + [n for n in left.results if not any(n is r for r in right.results)]
    result = _Filter(RESULT, results=results)
    before, after = f.prev.prev, f.next.next
    before.next, result.prev, result.next = result, before, after
    if after is not None:
        after.prev = result
    return result


def _execute_unit(root: Node, items: list[Item], start: _Filter, end: _Filter) -> _Filter | None:
    """execute_filter_unit: && first, then ||, over the filters between two brackets."""
    for kind in (AND, OR):
        f = start
        while f is not end and f is not None:
            if f.kind == kind:
                f = _combine(root, items, f)
                if f is None:
                    return None
            f = f.next
    inner = start.next
    if start.kind != LEFT or end.kind != RIGHT or inner is None or inner.next is not end:
        return None
    if inner.kind in (EXISTS, COMP):
        result = _execute(root, items, inner)
        if result is None:
            return None
        start.next, result.prev, result.next, end.prev = result, start, end, result
        inner = result
    return inner


def _filter(root: Node, items: list[Item], filters: list[tuple]) -> list[Item]:
    """filter_selector over the children of the filtered node."""
    head = prev = None
    for kind, payload in filters:
        f = _Filter(kind, payload)
        if prev is None:
            head = f
        else:
            prev.next, f.prev = f, prev
        prev = f
    f = head
    while f is not None:
        nxt = f.next
        if f.kind == RIGHT:
            start = f
            while start is not None and start.kind != LEFT:
                start = start.prev
            if start is None or start.prev is None:
                return []
            result = _execute_unit(root, items, start, f)
            if result is None:
                return []
            before = start.prev
            before.next, result.prev, result.next = result, before, nxt
            if nxt is not None:
                nxt.prev = result
        f = nxt
    first = head.next
    if first is None or first.next is not None or first.kind != RESULT:
        return []
    return [(node, None) for node in first.results]


def evaluate(root: Node, selectors: list[Selector]) -> list[Item]:
    """get_item_from_selector."""
    items: list[Item] = [(root, None)]
    for s in selectors:
        k = s.kind
        if k == DOT:
            items = _dot(items, s.path)
        elif k in (DOT_WILD, INDEX_WILD):
            items = _children(items)
        elif k in (INDEX, ARRAY_SLICE, LIST):
            if len(items) != 1 or items[0][0].ctype != ARRAY:
                return []
            array = items[0][0]
            if k == INDEX:
                items = _array_item(array, s.index)
            elif k == ARRAY_SLICE:
                items = _slice(array, *s.slice)
            else:
                if any(e.ctype != NUMBER for e in s.entries):
                    return []
                items = [item for e in s.entries for item in _array_item(array, c_int(e.value))]
        elif k == DECENDANT:
            items = _descendants(items)
        elif k == FILTER:
            if len(items) != 1:
                return []
            items = _filter(root, _children(items), s.filters)
        if not items:
            return items
    return items


def query(doc: bytes, selectors: list[Selector]) -> bytes:
    """JSON.GET's reply for a `$` path: the results as a JSON array."""
    root = parse_stored(doc)
    return b"[" + b",".join(node.text() for node, _ in evaluate(root, selectors)) + b"]"
