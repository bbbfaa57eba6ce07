"""ha_lint.hclexpr: HCL2 expressions, as written in .tf files (the loader's values) or as
templates (.tf.json strings)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ha_lint import hclexpr, values
from ha_lint.hclexpr import (
    UNKNOWN, Binary, Call, Choice, Conditional, ForExpr, HclExprError, Literal, ObjectExpr, Template,
    Traversal, TupleExpr, Unary, Var, evaluate, evaluate_value, parse, parse_template, references,
)
from ha_lint.loaders.terraform import load_file



class Handle:
    """A caller object, as the resolver models resources."""

    def __init__(self, address: str) -> None:
        self.address = address

    def hcl_getattr(self, name: str) -> str:
        return f"{self.address}.{name}"

    def hcl_index(self, key: Any) -> Any:
        return Handle(f"{self.address}[{key!r}]")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Handle) and other.address == self.address

    def __repr__(self) -> str:
        return f"Handle({self.address})"


SCOPE: dict[str, Any] = {
    "var": {
        "env": "prod", "n": 3, "azs": ["a", "b", "c"], "on": True, "off": False, "s_true": "true",
        "m": {"b": 2, "a": 1}, "cidr": "10.0.0.0/16", "unknown": UNKNOWN, "nothing": None, "empty": "",
        "obj": {"name": "db", "tags": {"k": "v"}}, "half": [UNKNOWN, "x"], "nested": [["a"], ["b", ["c"]]],
        "subnets": [{"id": "s1"}, {"id": "s2"}],
        "refs": [values.Ref("aws_subnet.a", "id"), values.Ref("aws_instance.a", "private_ip")],
        "az": values.AzToken("", 1), "az_id": values.AzToken("", 1, "id"), "az_eu": values.AzToken("eu-west-1", 0),
    },
    "local": {"name": "app"},
    "count": {"index": 1},
    "each": {"key": "k1", "value": {"size": 2}},
    "aws_subnet": {"a": Handle("aws_subnet.a"), "many": [Handle("s0"), Handle("s1")]},
    "module": {"vpc": {"private_subnets": ["p1", "p2"]}},
    "data": {"aws_availability_zones": {"available": {"names": ["use1-az1", "use1-az2"]}}},
    "path": {"module": "."},
}


def ev(expr: str, scope: Any = SCOPE) -> Any:
    return evaluate_value("${" + expr + "}", scope)


# -- the sentinel and Choice -------------------------------------------------------------------


def test_unknown_is_the_shared_singleton() -> None:
    assert hclexpr.UNKNOWN is values.UNKNOWN and hclexpr.Choice is values.Choice
    assert repr(UNKNOWN) == "UNKNOWN"
    assert hclexpr.Unknown() is UNKNOWN
    with pytest.raises(TypeError):
        bool(UNKNOWN)


# -- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, node_type", [
    ("1", Literal), ('"a"', Literal), ("var.x", Traversal), ("x", Var), ("-x", Unary), ("!x", Unary),
    ("a + b", Binary), ("a ? b : c", Conditional), ("[1, 2]", TupleExpr), ("{a = 1}", ObjectExpr),
    ("[for x in y : x]", ForExpr), ("{for k, v in y : k => v}", ForExpr), ("f(x)", Call),
    ('"a-${b}"', Template), ('"${b}"', Var), ("provider::aws::arn_parse(x)", Call),
    ("<<EOT\nhello ${x}\nEOT\n", Template), ("(a)", Var), ("a[*].b", Traversal),
])
def test_parse_node_types(text: str, node_type: type) -> None:
    assert type(parse(text)) is node_type


def test_parse_shapes() -> None:
    assert parse("1 + 2 * 3") == Binary("+", Literal(1), Binary("*", Literal(2), Literal(3)))
    assert parse("-1") == Literal(-1)
    assert parse("a.b[0].c") == Traversal(Var("a"), (("attr", "b"), ("index", Literal(0)), ("attr", "c")))
    assert parse("a.0") == Traversal(Var("a"), (("index", Literal(0)),))
    assert parse('"a\\n\\"${x}\\u00e9"') == Template(("a\n\"", Var("x"), "é"))
    assert parse("a ? b : c ? d : e").false == Conditional(Var("c"), Var("d"), Var("e"), "c")
    assert parse("var.enabled ? 1 : 0").label == "var.enabled"
    assert parse("f(xs...)") == Call("f", (Var("xs"),), True)
    # .* takes only attribute steps; [*] takes the rest
    assert parse("x.*.id[0]") == Traversal(Traversal(Var("x"), (("splat",), ("attr", "id"))), (("index", Literal(0)),))
    assert parse("x[*].id[0]") == Traversal(Var("x"), (("splat",), ("attr", "id"), ("index", Literal(0))))
    assert parse("<<-EOT\n    a\n      b\n    EOT\n") == Literal("a\n  b\n")


@pytest.mark.parametrize("text", [
    "", "a +", "(1", '"abc', "a ? b", "[1, 2", "{a = }", "f(", "a..b", "@", "[for x in : x]",
    "a[", "${x", "1 2", "<<EOT\nnever closed\n", "{ = 1}", "x.", '"%{ bogus }"',
])
def test_parse_errors(text: str) -> None:
    with pytest.raises(HclExprError):
        parse(text)


def test_parse_depth_is_bounded() -> None:
    with pytest.raises(HclExprError):
        parse("(" * 500 + "1" + ")" * 500)
    with pytest.raises(HclExprError):
        parse("[" * 500 + "]" * 500)
    assert evaluate_value("${" + "!" * 30 + "true}") is True
    assert evaluate_value("${" + "!" * 5000 + "true}") in (True, UNKNOWN)  # never a RecursionError


def test_parse_template() -> None:
    assert parse_template("${var.x}-db") == Template((Traversal(Var("var"), (("attr", "x"),)), "-db"))
    assert parse_template("$${x} %%{y}") == Literal("${x} %{y}")
    assert parse_template("plain") == Literal("plain")
    assert isinstance(parse_template("%{ if a }x%{ endif }"), Template)


# -- evaluation ----------------------------------------------------------------------------------

EXPRESSIONS = [
    # literals, numbers
    ("1", 1), ("1.5", 1.5), ("2.0", 2), ("1e3", 1000), ("-3", -3), ("true", True), ("null", None),
    ('"a\\tb"', "a\tb"),
    # arithmetic and precedence
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("7 / 2", 3.5), ("6 / 2", 3), ("7 % 3", 1), ("-7 % 3", -1),
    ("10 - 2 - 3", 5), ("-var.n", -3), ('"2" + 1', 3), ("var.n * 2 + 1", 7),
    # comparison and logic
    ("1 < 2", True), ("2 <= 2", True), ("3 > 4", False), ("3 >= 4", False), ("1 == 1", True),
    ('"true" == true', False), ('1 == "1"', False), ("[1, 2] == [1, 2]", True), ('{a = 1} == {a = 1}', True),
    ("null == null", True), ("var.nothing == null", True), ("1 != 2", True),
    ("true && false", False), ("true || false", True), ("!true", False), ('!"false"', True),
    ("1 + 1 == 2 && 3 > 2 || false", True), ("false && var.unknown", False), ("true || var.unknown", True),
    # conditionals
    ("var.on ? 1 : 0", 1), ("var.off ? 1 : 0", 0), ('"true" ? "y" : "n"', "y"), ("var.s_true ? 1 : 2", 1),
    ('var.env == "prod" ? 3 : 1', 3), ("var.on ? var.unknown : 1", UNKNOWN), ("var.off ? var.unknown : 1", 1),
    # traversals
    ("var.env", "prod"), ("var.azs[1]", "b"), ('var.m["a"]', 1), ("var.obj.tags.k", "v"), ("var.azs.0", "a"),
    ("var.azs[count.index]", "b"), ('var.azs["2"]', "c"), ("each.value.size", 2), ("local.name", "app"),
    ("var.subnets[*].id", ["s1", "s2"]), ("var.subnets.*.id", ["s1", "s2"]), ("var.obj[*].name", ["db"]),
    ("var.nothing[*]", []), ("module.vpc.private_subnets", ["p1", "p2"]),
    ("data.aws_availability_zones.available.names[1]", "use1-az2"), ("[10, 20][1]", 20), ('{a = 5}.a', 5),
    # delegation to caller objects
    ("aws_subnet.a.id", "aws_subnet.a.id"), ("aws_subnet.many[1].id", "s1.id"),
    ("aws_subnet.many[*].id", ["s0.id", "s1.id"]), ("aws_subnet.a[*].id", ["aws_subnet.a.id"]),
    ('aws_subnet.a["x"]', Handle("aws_subnet.a['x']")),
    # collections
    ("[1, var.env]", [1, "prod"]), ('{a = 1, "b" = 2, (var.env) = 3}', {"a": 1, "b": 2, "prod": 3}),
    ('{ "k" : "v" }', {"k": "v"}), ("{\n a = 1\n b = 2\n}", {"a": 1, "b": 2}), ("[]", []), ("{}", {}),
    # for expressions
    ("[for x in var.azs : upper(x)]", ["A", "B", "C"]),
    ('[for x in var.azs : x if x != "b"]', ["a", "c"]),
    ('[for i, x in var.azs : "${i}:${x}"]', ["0:a", "1:b", "2:c"]),
    ("{for k, v in var.m : k => v * 10}", {"a": 10, "b": 20}),
    ("[for k, v in var.m : k]", ["a", "b"]),  # maps iterate in key order
    ("{for x in [\"a\", \"b\", \"a\"] : x => 1...}", {"a": [1, 1], "b": [1]}),
    ("[for s in var.subnets : s.id]", ["s1", "s2"]), ("[for x in [] : x]", []),
    ("[for x in var.unknown : x]", UNKNOWN), ("[for x in var.azs : x if var.unknown]", UNKNOWN),
    # templates
    ('"${var.env}-db"', "prod-db"), ('"n=${var.n}"', "n=3"), ('"${var.on}"', True), ('"x${true}"', "xtrue"),
    ('"${var.env}${var.n}"', "prod3"), ('"a ${"nested ${var.n}"}"', "a nested 3"), ('"$${x}"', "${x}"),
    ('"${var.unknown}-x"', UNKNOWN), ('"%{ if var.on }y%{ endif }"', UNKNOWN), ('"${ var.env ~} - x"', "prod- x"),
    ('"${1.5}"', 1.5), ('"v${1.5}"', "v1.5"),
]


@pytest.mark.parametrize("expr, expected", EXPRESSIONS)
def test_expressions(expr: str, expected: Any) -> None:
    result = ev(expr)
    assert result == expected and type(result) is type(expected)


FUNCTIONS = [
    ("element(var.azs, 1)", "b"), ("element(var.azs, 4)", "b"), ("element([], 0)", UNKNOWN),
    ("element(var.azs, count.index)", "b"), ("element(var.azs, -1)", UNKNOWN),
    ("concat([1], [2, 3], [])", [1, 2, 3]), ("concat()", []), ("slice(var.azs, 1, 3)", ["b", "c"]),
    ("slice(var.azs, 2, 5)", UNKNOWN), ("length(var.azs)", 3), ('length("abc")', 3), ("length(var.m)", 2),
    ("length(var.half)", 2), ("length(null)", UNKNOWN),
    ('lookup(var.m, "a")', 1), ('lookup(var.m, "z", 9)', 9), ('lookup(var.m, "z")', UNKNOWN),
    ("merge(var.m, {c = 3}, null)", {"b": 2, "a": 1, "c": 3}), ("merge({a = 1}, {a = 2})", {"a": 2}),
    ("merge([{a = 1}, {b = 2}]...)", {"a": 1, "b": 2}), ("merge([{a = 1}, {b = 2}])", UNKNOWN), ("merge()", {}),
    ('tolist(["a"])', ["a"]), ('toset(["b", "a", "b"])', ["a", "b"]), ("toset([1, 1, 2])", [1, 2]),
    ("toset(null)", None), ("tomap({a = 1})", {"a": 1}), ("tolist({a = 1})", UNKNOWN),
    ("tostring(1)", "1"), ("tostring(true)", "true"), ("tostring(null)", None), ("tostring([1])", UNKNOWN),
    ('tonumber("4")', 4), ('tonumber("1.5")', 1.5), ('tonumber("x")', UNKNOWN), ('tobool("true")', True),
    ("tobool(1)", UNKNOWN),
    ('try(var.obj.missing, "d")', "d"), ("try(var.obj.name, 1)", "db"), ('try(var.unknown.x, "d")', UNKNOWN),
    ('try(var.azs[7], var.azs[0])', "a"), ("try(var.obj.a, var.obj.b)", UNKNOWN), ('try(file("x"), "d")', UNKNOWN),
    ("can(var.obj.name)", True), ("can(var.obj.missing)", False), ("can(var.unknown)", UNKNOWN),
    ('can(tonumber("x"))', False),
    ('coalesce("", null, "a", "b")', "a"), ("coalesce(null, var.env)", "prod"), ('coalesce(var.unknown, "a")', UNKNOWN),
    ('coalesce("a", var.unknown)', "a"), ('coalesce("", null)', UNKNOWN),
    ("coalescelist([], [1], [2])", [1]), ("coalescelist(var.unknown, [1])", UNKNOWN),
    ('format("%s-%d", "a", 3)', "a-3"), ('format("%v|%q|%%|%t", 1, "x", true)', '1|"x"|%|true'),
    ('format("%03d %-3s| %.2f", 7, "a", 1.5)', "007 a  | 1.50"), ('format("%v", [1])', "[1]"),
    ('format("%s")', UNKNOWN), ('format("%s", var.unknown)', UNKNOWN),
    ('formatlist("%s-%s", ["a", "b"], "x")', ["a-x", "b-x"]), ('formatlist("%s", [])', []),
    ('join(",", var.azs)', "a,b,c"), ('join("-", ["a"], [1, true])', "a-1-true"), ('join(",", var.half)', UNKNOWN),
    ('split(",", "a,b")', ["a", "b"]), ('split(",", "")', [""]),
    ("cidrsubnet(var.cidr, 8, 2)", "10.0.2.0/24"), ('cidrsubnet("10.0.0.0/16", 4, 15)', "10.0.240.0/20"),
    ('cidrsubnet("fd00::/48", 16, 1)', "fd00:0:0:1::/64"), ('cidrsubnet("10.0.0.0/16", 8, 256)', UNKNOWN),
    ("cidrsubnet(var.cidr, 8, count.index + 1)", "10.0.2.0/24"),
    ('cidrhost("10.0.1.0/24", 5)', "10.0.1.5"), ('cidrhost("10.0.1.0/24", -2)', "10.0.1.254"),
    ('cidrhost("not-a-cidr", 1)', UNKNOWN),
    ("keys(var.m)", ["a", "b"]), ("values(var.m)", [1, 2]),
    ('contains(var.azs, "b")', True), ('contains(var.azs, "z")', False), ('contains(var.half, "x")', True),
    ('contains(var.half, "y")', UNKNOWN),
    ("distinct([1, 2, 1, [1], [1]])", [1, 2, [1]]), ("flatten(var.nested)", ["a", "b", "c"]),
    ("flatten(var.half)", UNKNOWN), ('compact(["a", "", null, "b"])', ["a", "b"]),
    ("min(3, 1, 2)", 1), ("max(3, 1.5)", 3), ("max([4, 5]...)", 5), ("max([4, 5])", UNKNOWN), ("max(var.azs)", UNKNOWN), ("min()", UNKNOWN),
    ('lower("AbC")', "abc"), ('upper("abc")', "ABC"),
    ('replace("a-b-c", "-", "_")', "a_b_c"), ('replace("a1b22", "/[0-9]+/", "#")', "a#b#"),
    ('replace("ab", "/(a)(b)/", "$2$${1}$$")', "ba$"), ('replace("x", "/[/", "y")', UNKNOWN),
    ('substr("hello", 1, 3)', "ell"), ('substr("hello", -3, -1)', "llo"),
    ('trimspace("  a \\n")', "a"), ('trim("--a--", "-")', "a"), ('trimprefix("prod-db", "prod-")', "db"),
    ('trimsuffix("a.tf", ".tf")', "a"), ('startswith("prod-db", "prod")', True), ('endswith("x", "y")', False),
    ("range(3)", [0, 1, 2]), ("range(1, 4)", [1, 2, 3]), ("range(0, 10, 5)", [0, 5]), ("range(3, 0)", [3, 2, 1]),
    ("range(0, 1, 0.5)", [0, 0.5]), ("range(100000)", UNKNOWN), ("range(0, 1, 0)", UNKNOWN),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}), ("zipmap([1], [])", UNKNOWN),
    ("one([])", None), ("one([5])", 5), ("one([1, 2])", UNKNOWN),
    ("abs(-2)", 2), ("ceil(1.2)", 2), ("floor(-1.5)", -2), ("floor(3)", 3), ("sum([1, 2.5])", 3.5), ("sum([])", UNKNOWN),
    ('index(var.azs, "c")', 2), ('index(var.azs, "z")', UNKNOWN),
    ('alltrue([true, "true"])', True), ("alltrue([])", True), ("anytrue([false, true])", True), ("anytrue([])", False),
    ('jsonencode({b = [1, "x"], a = null, c = "<&>"})', '{"a":null,"b":[1,"x"],"c":"\\u003c\\u0026\\u003e"}'),
    ("jsonencode(aws_subnet.a)", UNKNOWN),
    ('jsondecode("{\\"a\\": [1, 2.0, true]}")', {"a": [1, 2, True]}), ('jsondecode("{")', UNKNOWN),
    ('base64encode("hi")', "aGk="), ('base64decode("aGk=")', "hi"), ('reverse([1, 2])', [2, 1]),
    ('sort(["b", "a"])', ["a", "b"]),
    ("max(var.half...)", UNKNOWN), ("min([3, 2]...)", 2), ("concat([1], [[2]]...)", [1, 2]),
    ('cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)', ["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]),
    ('cidrsubnets("fd00:fd12:3456:7890::/56", 16, 16, 16, 32)', ["fd00:fd12:3456:7800::/72",
     "fd00:fd12:3456:7800:100::/72", "fd00:fd12:3456:7800:200::/72", "fd00:fd12:3456:7800:300::/88"]),
    ('cidrsubnets("10.0.0.0/24", 1, 1, 1)', UNKNOWN), ('cidrnetmask("172.16.0.0/12")', "255.240.0.0"),
    ('regex("[a-z]+", "53453453.345345aaabbbccc23454")', "aaabbbccc"),
    ('regex("(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)", "2019-02-01")', ["2019", "02", "01"]),
    ('regex("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?", "https://terraform.io/docs/")',
     {"scheme": "https", "authority": "terraform.io"}),
    ('regex("x(?<n>y)", "xy")', {"n": "y"}), ('regex("z", "xy")', UNKNOWN), ('can(regex("z", "xy"))', False),
    ('regexall("[a-z]+", "1234abcd5678efgh9")', ["abcd", "efgh"]), ('length(regexall("^[a-z]{2}-", "use1-az1"))', 0),
    ('regex("(?=x)", "x")', UNKNOWN), ('can(regex("(a)\\\\1", "aa"))', UNKNOWN),  # RE2 has no lookaround/backrefs
    ('title("hello world-foo_bar")', "Hello World-Foo_bar"), ('basename("foo/bar/baz.txt")', "baz.txt"),
    ('dirname("foo/bar/baz.txt")', "foo/bar"), ('dirname("baz")', "."), ('chomp("hello\n\n")', "hello"),
    ('strrev("abc")', "cba"), ('strcontains("hello", "ell")', True), ('nonsensitive(sensitive("x"))', "x"),
    ('setunion(["b", "a"], ["c", "a"])', ["a", "b", "c"]), ('setintersection(["a", "b"], ["b", "c"])', ["b"]),
    ('setsubtract(["a", "b", "c"], ["a", "c"])', ["b"]),
    ('matchkeys(["i-1", "i-2", "i-3"], ["us-west", "us-east", "us-east"], ["us-east"])', ["i-2", "i-3"]),
    ('transpose({a = ["1", "2"], b = ["2", "3"]})', {"1": ["a"], "2": ["a", "b"], "3": ["b"]}),
    ('chunklist(["a", "b", "c"], 2)', [["a", "b"], ["c"]]), ('md5("hello world")', "5eb63bbbe01eeed093cb22bb8f5acdc3"),
    ('sha1("hello world")', "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
    ('base64sha256("hello world")', "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="),
    ('urlencode("Hello World!")', "Hello+World%21"), ('parseint("FF", 16)', 255), ('parseint("x", 10)', UNKNOWN),
    ("pow(3, 2)", 9), ("signum(-13)", -1),
    # a resource's id is never empty: compact() keeps a reference to one; other unknowns stay unknown
    ('compact([var.refs[0], "", null])', [values.Ref("aws_subnet.a", "id")]), ("compact(var.refs)", UNKNOWN),
    # an AZ chosen by position is a name (or an ID): tests every name agrees on are decided
    ('length(regexall("^[a-z]{2}-", var.az)) > 0 ? var.az : null', values.AzToken("", 1)),
    ('length(regexall("^[a-z]{2}-", var.az_id)) == 0 ? var.az_id : null', values.AzToken("", 1)),
    ('length(regexall("^[a-z]{2}-", var.az_id)) > 0 ? var.az_id : null', None),
    ('regexall("^us-", var.az)', UNKNOWN), ('length(regexall("^eu-west-1[a-z]$", var.az_eu))', 1),
    # not evaluated, however simple
    ('file("x")', UNKNOWN), ("timestamp()", UNKNOWN), ("uuid()", UNKNOWN), ('templatefile("a", {})', UNKNOWN),
    ("provider::aws::arn_parse(var.env)", UNKNOWN), ("no_such_function(1)", UNKNOWN),
    # wrong types and arity: UNKNOWN, never an exception
    ('element("abc", 1)', UNKNOWN), ("length(1)", UNKNOWN), ('upper(["a"])', UNKNOWN), ("abs()", UNKNOWN),
    ('lower("a", "b")', UNKNOWN), ("keys([1])", UNKNOWN), ('cidrsubnet(var.cidr, "x", 1)', UNKNOWN),
]


@pytest.mark.parametrize("expr, expected", FUNCTIONS)
def test_functions(expr: str, expected: Any) -> None:
    result = ev(expr)
    assert result == expected and type(result) is type(expected)


def test_jsonencode_with_unknown_parts_keeps_its_structure() -> None:
    # The text is unknown; the structure is what readers of the document (IAM) judge.
    result = ev("jsonencode(var.half)")
    assert isinstance(result, values.EncodedJson) and result.value == [UNKNOWN, "x"]
    assert ev("jsondecode(jsonencode(var.half))") == [UNKNOWN, "x"]
    assert ev('"a${jsonencode(var.half)}"') is UNKNOWN and ev('format("%s", jsonencode(var.half))') is UNKNOWN


@pytest.mark.parametrize("expr", [
    "var.unknown", "var.unknown + 1", "var.unknown == 1", "!var.unknown", "-var.unknown", "var.unknown.x",
    "var.unknown[0]", "var.azs[var.unknown]", "upper(var.unknown)", "length(var.unknown)",
    'join(",", var.unknown)', "[for x in var.unknown : x]", '"${var.unknown}"', "nosuchroot.x",
    "var.missing", "var.env.x", "var.azs[5]", "1 / 0", "1 % 0", '"a" + 1', "var.obj[0]", "aws_subnet.a.id[0]",
    "true && var.unknown", "false || var.unknown", "{(var.unknown) = 1}", "tolist(aws_subnet.a)",
    '"x${aws_subnet.a}"', "1e308 * 10", "[for k, v in var.m : v if v]",
])
def test_unknown_results(expr: str) -> None:
    assert ev(expr) is UNKNOWN


def test_unknown_inside_collections_stays_put() -> None:
    assert ev("[1, var.unknown]") == [1, UNKNOWN]
    assert ev("{a = var.unknown}") == {"a": UNKNOWN}
    assert ev("element(var.half, 1)") == "x"
    assert ev("element(var.half, 0)") is UNKNOWN


def test_missing_scope() -> None:
    assert ev("var.env", None) is UNKNOWN
    assert ev("var.env", {}) is UNKNOWN
    assert ev("1 + 1", None) == 2

    class Exploding:
        def get(self, name: str) -> Any:
            raise RuntimeError("boom")

    assert ev("var.x", Exploding()) is UNKNOWN


def test_delegates_that_fail_are_unknown() -> None:
    class Broken:
        def hcl_getattr(self, name: str) -> Any:
            raise KeyError(name)

    assert ev("x.y", {"x": Broken()}) is UNKNOWN
    assert ev("x[0]", {"x": Broken()}) is UNKNOWN  # no hcl_index
    assert ev("x.y", {"x": object()}) is UNKNOWN


# -- choices -------------------------------------------------------------------------------------


def test_unknown_condition_gives_a_choice() -> None:
    result = ev('var.unknown ? "a" : "b"')
    assert result == Choice((("var.unknown ? (true branch)", "a"), ("var.unknown ? (false branch)", "b")))
    assert ev('upper(var.unknown ? "a" : "b")') == Choice(
        (("var.unknown ? (true branch)", "A"), ("var.unknown ? (false branch)", "B")))
    assert ev('var.unknown ? "a" : "a"') == "a"  # the same either way
    assert ev("var.unknown ? 1 : var.obj.missing") == Choice(
        (("var.unknown ? (true branch)", 1), ("var.unknown ? (false branch)", UNKNOWN)))


def test_choice_maps_over_operations() -> None:
    scope = {**SCOPE, "local": {"x": ev('var.unknown ? "a" : "b"')}}
    assert ev('"${local.x}-db"', scope) == Choice(
        (("var.unknown ? (true branch)", "a-db"), ("var.unknown ? (false branch)", "b-db")))
    # the same condition twice: only consistent combinations
    assert ev("local.x == local.x", scope) is True
    assert ev('"${local.x}${local.x}"', scope) == Choice(
        (("var.unknown ? (true branch)", "aa"), ("var.unknown ? (false branch)", "bb")))
    assert ev('local.x == "a" ? 10 : 20', scope) == Choice(
        (("var.unknown ? (true branch)", 10), ("var.unknown ? (false branch)", 20)))
    assert ev('length([local.x, "c"])', scope) == 2
    assert ev('join(",", [local.x, "c"])', scope) == Choice(
        (("var.unknown ? (true branch)", "a,c"), ("var.unknown ? (false branch)", "b,c")))
    assert ev("[local.x]", scope) == [scope["local"]["x"]]


def test_nested_and_combined_choices() -> None:
    scope = {"var": {"a": UNKNOWN, "b": UNKNOWN}}
    nested = ev("var.a ? 1 : var.b ? 2 : 3", scope)
    assert nested == Choice((("var.a ? (true branch)", 1),
                             ("var.a ? (false branch), var.b ? (true branch)", 2),
                             ("var.a ? (false branch), var.b ? (false branch)", 3)))
    assert ev("var.a ? (var.a ? 1 : 2) : 3", scope) == Choice(
        (("var.a ? (true branch)", 1), ("var.a ? (false branch)", 3)))
    combined = ev("(var.a ? 1 : 2) + (var.b ? 10 : 20)", scope)
    assert isinstance(combined, Choice) and [v for _, v in combined.branches] == [11, 21, 12, 22]
    assert combined.branches[0][0] == "var.a ? (true branch), var.b ? (true branch)"
    # a known condition that is itself a Choice picks per branch
    assert ev("(var.a ? true : false) ? 5 : 6", scope) == Choice(
        (("var.a ? (true branch)", 5), ("var.a ? (false branch)", 6)))


def test_too_many_branches_is_unknown() -> None:
    scope = {"var": {k: UNKNOWN for k in "abcd"}}
    assert isinstance(ev("(var.a ? 1 : 2) + (var.b ? 10 : 20) + (var.c ? 100 : 200)", scope), Choice)
    assert ev("(var.a ? 1 : 2) + (var.b ? 10 : 20) + (var.c ? 100 : 200) + (var.d ? 1000 : 2000)", scope) is UNKNOWN


# -- the loader's values ----------------------------------------------------------------------------

TF = textwrap.dedent('''
    resource "aws_db_instance" "db" {
      multi_az          = var.multi_az
      count             = var.ha ? 2 : 1
      identifier        = "${var.name}-db"
      engine            = "postgres"
      port              = 5432
      subnet_id         = aws_subnet.b[count.index].id
      zone              = element(var.azs, count.index)
      azs               = ["a", "b"]
      regions           = concat(["us-east-1", "eu-west-1"], var.extra)
      envs              = contains(["prod", "staging"], var.env)
      cidrs             = [for i in range(2) : cidrsubnet("10.0.0.0/16", 8, i)]
      names             = [for s in ["a", "b"] : "${s}-${var.name}"]
      by_name           = {for k, v in var.sizes : k => v if v > 1}
      tags              = merge({Name = "x", Env = var.env}, var.tags)
      tags_lit          = {Name = "${var.name}", Tier = "db"}
      policy            = jsonencode({Statement = [{Effect = "Allow", Action = ["s3:*"], Resource = "*"}]})
      same              = "a" == "b" ? "yes" : "no"
      pick              = var.ha ? ["p", var.name] : []
      obj_pick          = var.ha ? {k = "v"} : {k = "w"}
      bool_pick         = var.ha ? true : false
      escaped           = "$${literal} %%{also}"
      directive         = "%{ if var.ha }ha%{ endif }"
      user_data         = <<-EOT
        #!/bin/sh
        echo ${var.name}
      EOT
      list_in_call      = length(["a", "10.0.0.0/16", "us-east-1a", "b c"])
      ref_in_list_call  = length(concat([var.name, "x"], [aws_subnet.a.id]))
      az                = data.aws_availability_zones.available.names[1]
      dyn_key           = { (var.env) = 1, "${var.name}" = 2 }
      quoted            = "say \\"hi\\" ${var.name}"
      try_it            = try(var.sizes.missing, "fallback")
      for_obj           = [for s in ["a"] : {name = s, az = "x"}]
    }
''')
TF_SCOPE = {
    "var": {"multi_az": True, "ha": True, "name": "orders", "azs": ["a", "b"], "extra": ["ap-south-1"],
            "env": "prod", "sizes": {"small": 1, "big": 3}, "tags": {"Team": "t"}},
    "count": {"index": 1},
    "aws_subnet": {"b": [Handle("sb0"), Handle("sb1")], "a": Handle("sa")},
    "data": {"aws_availability_zones": {"available": {"names": ["z1", "z2"]}}},
}
TF_EXPECTED = {
    "multi_az": True, "count": 2, "identifier": "orders-db", "engine": "postgres", "port": 5432,
    "subnet_id": "sb1.id", "zone": "b", "azs": ["a", "b"], "regions": ["us-east-1", "eu-west-1", "ap-south-1"],
    "envs": True, "cidrs": ["10.0.0.0/24", "10.0.1.0/24"], "names": ["a-orders", "b-orders"],
    "by_name": {"big": 3}, "tags": {"Name": "x", "Env": "prod", "Team": "t"},
    "tags_lit": {"Name": "orders", "Tier": "db"},
    "policy": '{"Statement":[{"Action":["s3:*"],"Effect":"Allow","Resource":"*"}]}',
    "same": "no", "pick": ["p", "orders"], "obj_pick": {"k": "v"}, "bool_pick": True,
    "escaped": "${literal} %{also}", "directive": UNKNOWN, "user_data": "#!/bin/sh\necho orders\n",  # a heredoc ends with its last new line, as in Terraform
    "list_in_call": 4, "ref_in_list_call": 3, "az": "z2", "dyn_key": {"prod": 1, "orders": 2},
    "quoted": 'say "hi" orders', "try_it": "fallback", "for_obj": [{"name": "a", "az": "x"}],
}


@pytest.fixture(scope="module")
def tf_body() -> dict[str, Any]:
    """The resource's values as the loader gives them: literals, and expressions as written."""
    return load_file(TF, "main.tf").blocks[0].body


def test_loaded_values(tf_body: dict[str, Any]) -> None:
    assert set(tf_body) == set(TF_EXPECTED)
    for key, expected in TF_EXPECTED.items():
        assert evaluate_value(tf_body[key], TF_SCOPE) == expected, (key, tf_body[key])


def test_loaded_unknown_condition(tf_body: dict[str, Any]) -> None:
    scope = {**TF_SCOPE, "var": {**TF_SCOPE["var"], "ha": UNKNOWN}}
    assert evaluate_value(tf_body["count"], scope) == Choice(
        (("var.ha ? (true branch)", 2), ("var.ha ? (false branch)", 1)))
    assert evaluate_value(tf_body["pick"], scope) == Choice(
        (("var.ha ? (true branch)", ["p", "orders"]), ("var.ha ? (false branch)", [])))


def test_loaded_references(tf_body: dict[str, Any]) -> None:
    refs = {k: references(v) for k, v in tf_body.items()}
    assert refs["subnet_id"] == [("aws_subnet", "b"), ("count", "index")]
    assert refs["zone"] == [("var", "azs"), ("count", "index")]
    assert refs["engine"] == [] and refs["port"] == [] and refs["azs"] == []
    assert refs["regions"] == [("var", "extra")]
    assert refs["names"] == [("var", "name")]
    assert refs["by_name"] == [("var", "sizes")]
    assert refs["ref_in_list_call"] == [("var", "name"), ("aws_subnet", "a", "id")]
    assert refs["az"] == [("data", "aws_availability_zones", "available", "names", 1)]
    assert refs["dyn_key"] == [("var", "env"), ("var", "name")]
    assert refs["directive"] == [("var", "ha")]
    assert refs["user_data"] == [("var", "name")]


@pytest.mark.parametrize("value, refs", [
    ("${aws_subnet.private[count.index].id}", [("aws_subnet", "private"), ("count", "index")]),
    ("${module.vpc.private_subnets}", [("module", "vpc", "private_subnets")]),
    ("${data.aws_availability_zones.available.names[1]}", [("data", "aws_availability_zones", "available", "names", 1)]),
    ('${local.m["key"].x}', [("local", "m", "key", "x")]),
    ("${var.list.0}", [("var", "list", 0)]),
    ("${aws_instance.web[*].id}", [("aws_instance", "web")]),
    ("${aws_instance.web.*.id}", [("aws_instance", "web")]),
    ("arn:${data.aws_partition.current.partition}:s3:::${var.bucket}/*",
     [("data", "aws_partition", "current", "partition"), ("var", "bucket")]),
    ("${element(aws_subnet.a[*].id, count.index % length(var.azs))}",
     [("aws_subnet", "a"), ("count", "index"), ("var", "azs")]),
    ("${[for s in aws_subnet.private : s.id if s.tags.public]}", [("aws_subnet", "private")]),
    ("${{for k, v in var.m : k => lookup(v, each.key, local.d)}}", [("var", "m"), ("each", "key"), ("local", "d")]),
    ("${each.value}", [("each", "value")]), ("${self.id}", [("self", "id")]), ("${path.module}/x", [("path", "module")]),
    ("${var.a == var.a ? var.b : var.c}", [("var", "a"), ("var", "b"), ("var", "c")]),
    ("${f(x).y[var.i]}", [("x",), ("var", "i")]),
    ("${provider::aws::arn_parse(aws_iam_role.r.arn)}", [("aws_iam_role", "r", "arn")]),
    (["${var.a}", {"k": "${var.b}", "${var.c}": 1}], [("var", "a"), ("var", "b"), ("var", "c")]),
    ("plain text", []), (42, []), (None, []), ("${not valid", []), ("$${var.escaped}", []),
    ('x" == "${var.y}', [("var", "y")]),
])
def test_references(value: Any, refs: list[tuple[Any, ...]]) -> None:
    assert references(value) == refs


def test_references_are_cached_and_fast() -> None:
    import time

    values_ = [f"${{aws_subnet.s{i % 50}[count.index].id}}" for i in range(2000)] + ["literal"] * 2000
    references(values_)
    start = time.perf_counter()
    for _ in range(10):
        references(values_)
    assert time.perf_counter() - start < 0.5


# -- robustness ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "${" + "[" * 300 + "]" * 300 + "}",
    "${" + "f(" * 300 + ")" * 300 + "}",
    "${" + '"${' * 200 + "1" + '}"' * 200 + "}",
    "${replace(replace(replace(replace(replace(replace(\"aaaaaaaaaa\", \"a\", \"aaaaaaaaaa\"), \"a\", "
    "\"aaaaaaaaaa\"), \"a\", \"aaaaaaaaaa\"), \"a\", \"aaaaaaaaaa\"), \"a\", \"aaaaaaaaaa\"), \"a\", \"aaaaaaaaaa\")}",
    "${[for a in range(1000) : [for b in range(1000) : a * b]]}",
    "${" + "[${" * 60 + "x" + "} y]" * 60 + "}",
    "${jsondecode(\"" + "[" * 5000 + "]" * 5000 + "\")}",
    "${" + "1 + " * 3000 + "1}",
    {"${var.unknown}": 1}, [[[["${x"]]]], UNKNOWN, object(),
])
def test_never_raises(value: Any) -> None:
    evaluate_value(value, SCOPE)
    references(value)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('${}[]()"\'%~.,:?=!<>-+*/ \nabcx019_') + ["for ", " in ", "${", "%{", "var."]),
                max_size=40).map("".join))
def test_fuzz_never_raises(text: str) -> None:
    for value in (text, "${" + text + "}", [text], {text: text}):
        evaluate_value(value, SCOPE)
        assert isinstance(references(value), list)


@pytest.mark.slow  # a property test over many examples
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_arbitrary_text(text: str) -> None:
    evaluate_value(text, SCOPE)
    evaluate_value("${" + text + "}", SCOPE)
    references("${" + text + "}")
    try:
        node = parse(text)
    except HclExprError:
        return
    evaluate(node, SCOPE)


def test_a_slice_of_an_unknown_list_with_known_bounds_has_a_known_length() -> None:
    # slice(module.vpc.public_subnets, 0, 1): exactly one subnet, whichever it is.
    assert ev("slice(var.unknown, 0, 1)") == [UNKNOWN]
    assert ev("slice(var.unknown, 1, 3)") == [UNKNOWN, UNKNOWN]
    assert ev("slice(var.unknown, 0, var.unknown)") is UNKNOWN
    assert ev("slice(var.unknown, 2, 1)") is UNKNOWN  # a Terraform error: nothing is known
    assert ev('slice(["a", "b", "c"], 0, 2)') == ["a", "b"]
