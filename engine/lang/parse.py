"""Text to AST: the first pass of the condition language.

The text is read by the standard library's ``ast`` parser (which only builds a tree;
it runs nothing), then every node is converted through a whitelist. Anything outside
it (attribute access, subscripts, lambdas, comprehensions, f-strings, walrus, calls
outside the function table, ``None``, ``is``) is refused with its position. Positions
are character offsets into the condition text; the loader turns them into file, line
and column.
"""

from __future__ import annotations

import ast
import bisect
import difflib
import io
import re
import tokenize
import warnings
from dataclasses import dataclass
from decimal import Decimal

from chronolex.errors import ChronolexError, Diagnostic, Severity, Span
from chronolex.lang import nodes as n
from chronolex.lang.functions import FUNCTIONS

MAX_LENGTH = 10_000
MAX_DEPTH = 100

_COMPARE = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in",
}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_FORBIDDEN: dict[type, tuple[str, str | None]] = {
    ast.Attribute: ("attribute access is not allowed", "name a fact from the bundle's catalog"),
    ast.Subscript: ("indexing is not allowed", None),
    ast.Lambda: ("lambda is not allowed", None),
    ast.ListComp: ("comprehensions are not allowed", None),
    ast.SetComp: ("comprehensions are not allowed", None),
    ast.DictComp: ("comprehensions are not allowed", None),
    ast.GeneratorExp: ("comprehensions are not allowed", None),
    ast.JoinedStr: ("f-strings are not allowed", "write a plain string"),
    ast.NamedExpr: ("assignment (:=) is not allowed", None),
    ast.IfExp: ("conditional expressions are not allowed", "write (a and b) or (not a and c)"),
    ast.Dict: ("mappings are not allowed", None),
    ast.Set: ("sets are not allowed", "write a list: [a, b]"),
    ast.Tuple: ("tuples are not allowed", "write a list: [a, b]"),
    ast.Starred: ("unpacking is not allowed", None),
    ast.Await: ("await is not allowed", None),
    ast.Yield: ("yield is not allowed", None),
    ast.YieldFrom: ("yield is not allowed", None),
    ast.Slice: ("slices are not allowed", None),
}
_OPERATOR_HINTS: dict[type, tuple[str, str | None]] = {
    ast.BitAnd: ("'&' is not allowed", "use 'and'"),
    ast.BitOr: ("'|' is not allowed", "use 'or'"),
    ast.BitXor: ("'^' is not allowed", None),
    ast.Invert: ("'~' is not allowed", "use 'not'"),
    ast.Pow: ("'**' is not allowed", None),
    ast.Mod: ("'%' is not allowed", None),
    ast.FloorDiv: ("'//' is not allowed", "use '/'"),
    ast.LShift: ("'<<' is not allowed", None),
    ast.RShift: ("'>>' is not allowed", None),
    ast.MatMult: ("'@' is not allowed", None),
    ast.Is: ("'is' is not allowed", "use '==', or is_unknown(x) to test for a missing value"),
    ast.IsNot: ("'is not' is not allowed", "use '!=', or is_known(x)"),
    ast.UAdd: ("unary '+' is not allowed", None),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """A finding inside a condition text: offsets into the text, resolved to a file position later."""

    code: str
    message: str
    start: int
    end: int
    help: str | None = None


class ConditionError(ChronolexError):
    """The condition text is not a valid expression; ``problems`` say where inside the text."""

    def __init__(self, text: str, problems: list[Problem]) -> None:
        self.text = text
        self.problems = tuple(problems)
        super().__init__([_as_diagnostic(text, p) for p in problems])


def _as_diagnostic(text: str, p: Problem) -> Diagnostic:
    before = text[: p.start]
    line = before.count("\n") + 1
    column = p.start - (before.rfind("\n") + 1) + 1
    return Diagnostic(p.code, Severity.ERROR, p.message, Span("<condition>", line, column), p.help)


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Reader:
    """Converts a Python ``ast`` tree to our AST, refusing anything not whitelisted."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = ("(" + text + "\n)").split("\n")
        self.line_offsets = [0]
        for line in self.lines[:-1]:
            self.line_offsets.append(self.line_offsets[-1] + len(line) + 1)
        self._byte_maps: dict[int, list[int]] = {}

    def _char_of_byte(self, row: int, col_byte: int) -> int:
        """Python's ast gives UTF-8 byte columns; this maps them to characters in O(log n)."""
        line = self.lines[row]
        if line.isascii():
            return min(col_byte, len(line))
        starts = self._byte_maps.get(row)
        if starts is None:
            starts, position = [], 0
            for ch in line:
                starts.append(position)
                position += len(ch.encode("utf-8"))
            starts.append(position)
            self._byte_maps[row] = starts
        return max(bisect.bisect_right(starts, col_byte) - 1, 0)

    def offset(self, lineno: int, col_byte: int) -> int:
        row = min(max(lineno - 1, 0), len(self.lines) - 1)
        col = self._char_of_byte(row, col_byte)
        return min(max(self.line_offsets[row] + col - 1, 0), len(self.text))

    def loc(self, node: ast.AST) -> n.Loc:
        start = self.offset(getattr(node, "lineno", 1), getattr(node, "col_offset", 0))
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        end = self.offset(end_line, end_col) if end_line is not None and end_col is not None else start + 1
        return (start, max(end, start))

    def refuse(self, node: ast.AST, message: str, help: str | None = None, code: str = "forbidden-construct") -> _Refused:
        start, end = self.loc(node)
        return _Refused(Problem(code, message, start, end, help))

    def expr(self, node: ast.AST, depth: int = 0) -> n.Expr:
        if depth > MAX_DEPTH:
            raise self.refuse(node, f"expression nested deeper than {MAX_DEPTH} levels", code="too-complex")
        loc = self.loc(node)
        deeper = depth + 1
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return n.BoolOp(op, tuple(self.expr(v, deeper) for v in node.values), loc)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return n.Unary("not", self.expr(node.operand, deeper), loc)
            if isinstance(node.op, ast.USub):
                return n.Unary("-", self.expr(node.operand, deeper), loc)
            message, help = _OPERATOR_HINTS.get(type(node.op), ("this operator is not allowed", None))
            raise self.refuse(node, message, help)
        if isinstance(node, ast.BinOp):
            arith = _ARITH.get(type(node.op))
            if arith is None:
                message, help = _OPERATOR_HINTS.get(type(node.op), ("this operator is not allowed", None))
                raise self.refuse(node, message, help)
            return n.Binary(arith, self.expr(node.left, deeper), self.expr(node.right, deeper), loc)
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.refuse(
                    node, "chained comparisons are not allowed", "write 'a < b and b < c'", code="syntax"
                )
            cop = _COMPARE.get(type(node.ops[0]))
            if cop is None:
                message, help = _OPERATOR_HINTS.get(type(node.ops[0]), ("this comparison is not allowed", None))
                raise self.refuse(node, message, help)
            return n.Compare(cop, self.expr(node.left, deeper), self.expr(node.comparators[0], deeper), loc)
        if isinstance(node, ast.Call):
            return self.call(node, loc, deeper)
        if isinstance(node, ast.Name):
            if node.id in ("true", "True"):
                return n.Literal(True, "bool", loc)
            if node.id in ("false", "False"):
                return n.Literal(False, "bool", loc)
            if node.id == "now":
                return n.Now(loc)
            written = self.text[loc[0] : loc[1]]
            if not written.isascii():
                raise self.refuse(node, f"identifier {written!r} is not plain ASCII",
                                  f"write `{node.id}` in ASCII letters")
            if node.id in ("null", "none", "None"):
                raise self.refuse(node, f"'{node.id}' is not a value here", "use is_unknown(x) to test for a missing value")
            return n.Name(node.id, loc)
        if isinstance(node, ast.Constant):
            return self.constant(node, loc)
        if isinstance(node, ast.List):
            return n.ListExpr(tuple(self.expr(e, deeper) for e in node.elts), loc)
        message, help = _FORBIDDEN.get(type(node), (f"{type(node).__name__} is not allowed in a condition", None))
        raise self.refuse(node, message, help)

    def call(self, node: ast.Call, loc: n.Loc, depth: int) -> n.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.refuse(node.func, "only the built-in functions can be called", _functions_hint())
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            close = difflib.get_close_matches(name, FUNCTIONS, n=1)
            help = f"did you mean `{close[0]}`?" if close else _functions_hint()
            raise self.refuse(node.func, f"unknown function '{name}'", help, code="unknown-function")
        if node.keywords:
            raise self.refuse(node.keywords[0].value, "keyword arguments are not allowed", function.signature)
        args = tuple(self.expr(a, depth) for a in node.args)
        if len(args) < function.min_args or (function.max_args is not None and len(args) > function.max_args):
            raise self.refuse(node, f"wrong number of arguments to {name}", function.signature, code="type-mismatch")
        if function.literal_arg is not None:
            arg = args[0]
            if not (isinstance(arg, n.Literal) and arg.kind == "string"):
                raise self.refuse(node.args[0], f"{name}() takes a string literal", function.signature, code="type-mismatch")
            try:
                function.literal_arg(str(arg.value))
            except ValueError as exc:
                code = "invalid-duration" if name == "duration" else "invalid-date"
                raise self.refuse(node.args[0], str(exc), function.signature, code=code) from None
        return n.Call(name, args, loc)

    def constant(self, node: ast.Constant, loc: n.Loc) -> n.Expr:
        value = node.value
        if isinstance(value, bool):
            return n.Literal(value, "bool", loc)
        if isinstance(value, int):
            return n.Literal(value, "int", loc)
        if isinstance(value, float):
            source = self.text[loc[0] : loc[1]].replace("_", "")
            try:
                number = Decimal(source)
            except ArithmeticError:
                number = Decimal(repr(value))
            if not number.is_finite():
                raise self.refuse(node, "numbers must be finite")
            return n.Literal(number, "decimal", loc)
        if isinstance(value, str):
            return n.Literal(value, "string", loc)
        if value is None:
            raise self.refuse(node, "'None' is not a value here", "use is_unknown(x) to test for a missing value")
        raise self.refuse(node, f"a {type(value).__name__} literal is not allowed")


def _functions_hint() -> str:
    return "available functions: " + ", ".join(sorted(FUNCTIONS))


def parse(text: str) -> n.Expr:
    """Parse a condition; raise :class:`ConditionError` (a ChronolexError) if it is not valid.

    >>> parse('credit_score < 600 and not kyc_verified').op
    'and'
    """
    if not isinstance(text, str):
        raise ConditionError("", [Problem("syntax", "a condition must be a string", 0, 0)])
    if len(text) > MAX_LENGTH:
        raise ConditionError(text, [Problem("too-complex", f"condition longer than {MAX_LENGTH} characters", 0, 1)])
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ConditionError(text, [Problem("syntax", "empty condition", 0, 0)])
    if "\x00" in text:
        index = text.index("\x00")
        raise ConditionError(text, [Problem("syntax", "NUL character in condition", index, index + 1)])
    reader = _Reader(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for e.g. "1if": the whitelist decides
            tree = ast.parse("(" + text + "\n)", mode="eval")
    except SyntaxError as exc:
        unbalanced = _unbalanced(text)
        raise ConditionError(text, [unbalanced or _syntax_problem(reader, exc)]) from None
    except UnicodeEncodeError:  # a lone surrogate: the text is not Unicode
        raise ConditionError(text, [Problem("syntax", "the condition holds a character that is not Unicode text "
                                                      "(an unpaired surrogate)", 0, 1)]) from None
    except RecursionError:
        raise ConditionError(text, [Problem("too-complex", f"expression nested deeper than {MAX_DEPTH} levels",
                                            0, 1)]) from None
    except (ValueError, MemoryError, OverflowError) as exc:
        raise ConditionError(text, [Problem("too-complex", f"cannot parse: {type(exc).__name__}", 0, 1)]) from None
    early = _early_close(reader)
    if early is not None:
        raise ConditionError(text, [early])
    try:
        return reader.expr(tree.body)
    except _Refused as refused:
        raise ConditionError(text, [refused.problem]) from None
    except RecursionError:
        raise ConditionError(text, [Problem("too-complex", "expression too deeply nested", 0, 1)]) from None


_PAIRS = {"(": ")", "[": "]", "{": "}"}


def _early_close(reader: _Reader) -> Problem | None:
    """A ')' that closes the parenthesis :func:`parse` wraps the text in, before the text ends.

    ``a) or (b`` parses once wrapped, as ``(a) or (b\n)``, although it is not an
    expression on its own. Python's tokenizer (which knows strings and comments) finds
    where the wrapper's parenthesis is closed; anywhere but at the very end is an error.
    """
    wrapped = "(" + reader.text + "\n)"
    depth = 0
    last_row = wrapped.count("\n") + 1
    try:
        for token in tokenize.generate_tokens(io.StringIO(wrapped).readline):
            if token.type != tokenize.OP:
                continue
            if token.string in _PAIRS:
                depth += 1
            elif token.string in ")]}":
                depth -= 1
                if depth == 0 and token.start[0] != last_row:
                    row, column = token.start
                    start = min(max(reader.line_offsets[row - 1] + column - 1, 0), len(reader.text))
                    return Problem("syntax", f"'{token.string}' closes nothing", start, start + 1, "check the brackets")
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover - the text has just parsed
        return None
    return None


def _unbalanced(text: str) -> Problem | None:
    """The first bracket that is never closed or closes nothing, outside string literals."""
    stack: list[tuple[str, int]] = []
    quote: str | None = None
    index = 0
    while index < len(text):
        ch = text[index]
        if quote is not None:
            if ch == "\\":
                index += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in _PAIRS:
            stack.append((ch, index))
        elif ch in ")]}":
            if not stack or _PAIRS[stack[-1][0]] != ch:
                return Problem("syntax", f"'{ch}' closes nothing", index, index + 1, "check the brackets")
            stack.pop()
        index += 1
    if stack:
        ch, where = stack[-1]
        return Problem("syntax", f"'{ch}' is never closed", where, where + 1, f"add the closing '{_PAIRS[ch]}'")
    return None


def _syntax_problem(reader: _Reader, exc: SyntaxError) -> Problem:
    message = (exc.msg or "invalid syntax").split("\n")[0]
    if "Exceeds the limit" in message and "digits" in message:
        message = "integer literal too long"
    row = min(max((exc.lineno or 1) - 1, 0), len(reader.lines) - 1)
    # exc.offset is 1-based within the wrapped line; line 1 carries the "(" we added
    start = reader.line_offsets[row] + max((exc.offset or 1) - 1, 0) - (1 if row == 0 else 0)
    if row > 0:
        start -= 1
    start = min(max(start, 0), len(reader.text))
    text = reader.text
    while 0 < start < len(text) and text[start] in "&|=" and text[start - 1] == text[start]:
        start -= 1  # point at the first character of a doubled operator such as && or ||
    help: str | None = None
    code = "too-complex" if "too many nested parentheses" in message else "syntax"  # Python's bracket limit
    if "Maybe you meant '==' " in message or "cannot assign" in message or "assignment" in message:
        message, help = "'=' is not a comparison", "use '==' to compare"
        lone = re.search(r"(?<![=<>!])=(?!=)", text)
        if lone is not None:
            start = lone.start()
    elif "never closed" in message or "unexpected EOF" in message or "unmatched" in message:
        help = "check the brackets and quotes"
    segment = text[start : start + 2]
    if segment in ("&&", "||"):
        help = "use 'and' / 'or'"
    elif segment.startswith("!") and segment != "!=":
        help = "use 'not'"
    return Problem(code, f"syntax error: {message}", start, start + 1, help)
