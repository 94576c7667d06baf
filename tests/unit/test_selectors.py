"""Label and field selectors must behave like k8s.io/apimachinery's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karmadad.selectors import (
    NOTHING,
    FieldRequirement,
    FieldSelector,
    LabelSelector,
    Requirement,
    SelectorError,
    label_selector_from_struct,
    object_fields,
    parse_field_selector,
    parse_label_selector,
)

LABEL_VALUE_HINT = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
    "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_HINT = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
    "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
BINARY_EXPECTED = "expected: in, notin, =, ==, !=, gt, lt"


def req(key: str, op: str, *values: str) -> Requirement:
    return Requirement(key, op, values)


# ----------------------------------------------------------------------------- label parsing


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("   ", ""),
        ("x=a,y=b,z=c", "x=a,y=b,z=c"),
        ("z=c,x=a,y=b", "x=a,y=b,z=c"),
        ("x==a", "x=a"),
        ("x!=a,y=b", "x!=a,y=b"),
        ("x=", "x="),
        ("x= ", "x="),
        ("x=,z= ", "x=,z="),
        ("!x", "!x"),
        ("! x", "!x"),
        ("x", "x"),
        ("\rx", "x"),
        ("x>1", "x>1"),
        ("x>1,z<5", "x>1,z<5"),
        ("x > 1 , z < 5", "x>1,z<5"),
        ("x in (abc,def)", "x in (abc,def)"),
        ("x in (def,abc,def)", "x in (abc,def)"),
        ("foo  in\t (abc)", "foo in (abc)"),
        ("x notin\n (abc)", "x notin (abc)"),
        ("x in ( a , b )", "x in (a,b)"),
        ("x in ()", "x in ()"),
        ("x in (,)", "x in ()"),
        ("x in (abc,)", "x in (,abc)"),
        ("x in (,abc)", "x in (,abc)"),
        ("x in (a,,b)", "x in (,a,b)"),
        ("x in (a,,)", "x in (,a)"),
        ("x in (a,,,,)", "x in (,a)"),
        ("x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()"),
        ("in in (in,notin)", "in in (in,notin)"),
        ("notin notin (in)", "notin notin (in)"),
        ("a=in,b==notin", "a=in,b=notin"),
        ("in,!notin", "in,!notin"),
        ("this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash"),
        (
            "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
            "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)",
        ),
        ("x=a,x!=b,x", "x=a,x!=b,x"),
        ("b,a=1,b!=2", "a=1,b,b!=2"),
        ("x>007", "x>007"),
        # The Go lexer treats NUL as its end marker: it ends the input where a token
        # would start, and is swallowed right after a token.
        ("a=b\x00,c", "a=b,c"),
        ("a=b,\x00c=d", "a=b,c=d"),
        ("a=b\x00 ,c=d", "a=b,c=d"),
        ("a=b \x00,c=d", "a=b"),
    ],
)
def test_parse_label_selector_canonical_form(text, canonical):
    assert str(parse_label_selector(text)) == canonical


def test_parse_builds_expected_requirements():
    sel = parse_label_selector("tier notin (b,a), !canary, app = web, n>3, m<4, x, y==z, w!=v")
    assert sel.requirements == (
        req("app", "=", "web"),
        req("canary", "!"),
        req("m", "lt", "4"),
        req("n", "gt", "3"),
        req("tier", "notin", "a", "b"),
        req("w", "!=", "v"),
        req("x", "exists"),
        req("y", "=", "z"),
    )


def test_empty_string_is_the_empty_selector():
    sel = parse_label_selector("")
    assert sel == LabelSelector()
    assert sel.empty
    assert sel.matches({})
    assert sel.matches({"a": "b"})
    assert not parse_label_selector("a").empty


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a=b, \x00c=d", "found '', expected: identifier after ','"),
        ("x==a==b", "found '==', expected: ',' or 'end of string'"),
        ("!x=a", "found '=', expected: ',' or 'end of string'"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("a,", "found '', expected: identifier after ','"),
        ("a,,b", "found ',', expected: identifier after ','"),
        ("a,=b", "found '=', expected: identifier after ','"),
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("!=a", "found '!=', expected: !, identifier, or 'end of string'"),
        ("(a)", "found '(', expected: !, identifier, or 'end of string'"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("!!a", "unable to parse requirement: found '!', expected: identifier"),
        ("!(a)", "unable to parse requirement: found '(', expected: identifier"),
        ("a b", f"unable to parse requirement: found 'b', {BINARY_EXPECTED}"),
        ("a!b", f"unable to parse requirement: found '!', {BINARY_EXPECTED}"),
        ("a(b)", f"unable to parse requirement: found '(', {BINARY_EXPECTED}"),
        ("a\x00b", f"unable to parse requirement: found 'b', {BINARY_EXPECTED}"),
        ("a in b", "unable to parse requirement: found 'b' expected: '('"),
        ("a in", "unable to parse requirement: found '' expected: '('"),
        ("a notin (b", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
        ("a in (b(", "unable to parse requirement: found '(', expected: ',' or ')'"),
        ("a in (", "unable to parse requirement: found '', expected: ',', ')' or identifier"),
        ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("a in (b,", "unable to parse requirement: found '', expected: ',', or identifier"),
        ("a in (b,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
        ("a in (,!)", "unable to parse requirement: found '!', expected: ',', or identifier"),
        ("a=(b)", "unable to parse requirement: found '(', expected: identifier"),
        ("a!==b", "unable to parse requirement: found '=', expected: identifier"),
        (
            "x<a",
            "unable to parse requirement: invalid value \"a\": for 'Gt', 'Lt' operators, "
            "the value must be an integer",
        ),
        (
            "x>",
            "unable to parse requirement: invalid value \"\": for 'Gt', 'Lt' operators, "
            "the value must be an integer",
        ),
        (
            "x>99999999999999999999",
            'unable to parse requirement: invalid value "99999999999999999999": '
            "for 'Gt', 'Lt' operators, the value must be an integer",
        ),
        ("a=-x", f'unable to parse requirement: invalid label value "-x" for key "a": {LABEL_VALUE_HINT}'),
        (
            "a in (ok,x_)",
            f'unable to parse requirement: invalid label value "x_" for key "a": {LABEL_VALUE_HINT}',
        ),
        (
            "a=" + "v" * 64,
            f'unable to parse requirement: invalid label value "{"v" * 64}" for key "a": '
            "must be no more than 63 bytes",
        ),
    ],
)
def test_parse_label_selector_errors(text, message):
    with pytest.raises(SelectorError) as info:
        parse_label_selector(text)
    assert str(info.value) == message


def test_several_problems_are_aggregated_like_kubernetes():
    with pytest.raises(SelectorError) as info:
        parse_label_selector("a>b_")
    assert str(info.value) == (
        "unable to parse requirement: [invalid value \"b_\": for 'Gt', 'Lt' operators, the value must be "
        f'an integer, invalid label value "b_" for key "a": {LABEL_VALUE_HINT}]'
    )


def test_selector_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_label_selector("a in")


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (
            "a/b/c",
            f"a valid label key {NAME_HINT} with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')",
        ),
        ("-a", f"name part {NAME_HINT}"),
        ("a.", f"name part {NAME_HINT}"),
        ("ä", f"name part {NAME_HINT}"),
        ("x/", f"name part must be non-empty; name part {NAME_HINT}"),
        ("/a", "prefix part must be non-empty"),
        (
            "Example.com/a",
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character "
            "(e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
        ("k" * 64, "name part must be no more than 63 bytes"),
        ("p" * 254 + "/k", "prefix part must be no more than 253 bytes"),
    ],
)
def test_invalid_label_keys(key, problem):
    with pytest.raises(SelectorError) as info:
        parse_label_selector(f"{key}=v")
    assert str(info.value) == f'unable to parse requirement: invalid label key "{key}": {problem}'


@pytest.mark.parametrize(
    "key",
    ["a", "A9", "a_b.c-d", "k" * 63, "example.com/Name", "p" * 253 + "/k", "a-b.c-d/e", "1/1"],
)
def test_valid_label_keys(key):
    assert parse_label_selector(key).requirements == (req(key, "exists"),)


@pytest.mark.parametrize("value", ["", "a", "A-b_c.D", "v" * 63, "123"])
def test_valid_label_values(value):
    assert parse_label_selector(f"k={value}").requirements == (req("k", "=", value),)


# ----------------------------------------------------------------------------- matching

ABSENT: dict[str, str] = {"other": "x"}


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("a=x", {"a": "x"}, True),
        ("a=x", {"a": "y"}, False),
        ("a=x", ABSENT, False),
        ("a=", {"a": ""}, True),
        ("a=", ABSENT, False),
        ("a==x", {"a": "x"}, True),
        ("a!=x", {"a": "x"}, False),
        ("a!=x", {"a": "y"}, True),
        ("a!=x", ABSENT, True),
        ("a!=", {"a": ""}, False),
        ("a in (x,y)", {"a": "y"}, True),
        ("a in (x,y)", {"a": "z"}, False),
        ("a in (x,y)", ABSENT, False),
        ("a in ()", {"a": ""}, True),
        ("a in ()", ABSENT, False),
        ("a in (,x)", {"a": ""}, True),
        ("a notin (x,y)", {"a": "y"}, False),
        ("a notin (x,y)", {"a": "z"}, True),
        ("a notin (x,y)", ABSENT, True),
        ("a notin ()", {"a": ""}, False),
        ("a notin ()", {"a": "x"}, True),
        ("a", {"a": ""}, True),
        ("a", ABSENT, False),
        ("!a", {"a": ""}, False),
        ("!a", ABSENT, True),
        ("a>5", {"a": "6"}, True),
        ("a>5", {"a": "5"}, False),
        ("a>5", {"a": "-9"}, False),
        ("a>5", {"a": "006"}, True),
        ("a>5", {"a": "+6"}, True),
        ("a>5", {"a": "v6"}, False),
        ("a>5", {"a": "6.0"}, False),
        ("a>5", {"a": " 6"}, False),
        ("a>5", {"a": "1_0"}, False),
        ("a>5", {"a": ""}, False),
        ("a>5", {"a": "99999999999999999999"}, False),
        ("a>5", ABSENT, False),
        ("a<5", {"a": "4"}, True),
        ("a<5", {"a": "-4"}, True),
        ("a<5", {"a": "5"}, False),
        ("a<5", {"a": "x"}, False),
        ("a<5", ABSENT, False),
        ("a>0", {"a": "9223372036854775807"}, True),
        ("a<0", {"a": "-9223372036854775808"}, True),
        ("a<0", {"a": "-9223372036854775809"}, False),
        ("a=x,b", {"a": "x", "b": "1"}, True),
        ("a=x,b", {"a": "x"}, False),
        ("a,!a", {"a": "x"}, False),
        ("a in (x),a notin (y)", {"a": "x"}, True),
    ],
)
def test_label_matching(text, labels, expected):
    assert parse_label_selector(text).matches(labels) is expected


def test_gt_lt_values_go_through_int64():
    assert Requirement("a", "gt", ("9223372036854775807",)).values == ("9223372036854775807",)
    with pytest.raises(SelectorError):
        Requirement("a", "gt", ("9223372036854775808",))


# ----------------------------------------------------------------------------- Requirement / LabelSelector


def test_requirement_normalizes():
    assert Requirement("a", "==", ("x",)) == Requirement("a", "=", ("x",))
    assert Requirement("a", "==", ("x",)).operator == "="
    assert Requirement("a", "in", ["y", "x", "y"]).values == ("x", "y")
    assert Requirement("a", "notin", ("",)).values == ("",)
    assert Requirement("a", "exists").values == ()
    assert hash(Requirement("a", "in", ("x", "y"))) == hash(Requirement("a", "in", ("y", "x")))


@pytest.mark.parametrize(
    ("key", "op", "values", "message"),
    [
        ("a", "in", (), "for 'in', 'notin' operators, values set can't be empty"),
        ("a", "notin", (), "for 'in', 'notin' operators, values set can't be empty"),
        ("a", "=", (), "exact-match compatibility requires one single value"),
        ("a", "!=", ("x", "y"), "exact-match compatibility requires one single value"),
        ("a", "exists", ("x",), "values set must be empty for exists and does not exist"),
        ("a", "!", ("x",), "values set must be empty for exists and does not exist"),
        ("a", "gt", (), "for 'Gt', 'Lt' operators, exactly one value is required"),
        (
            "a",
            "In",
            ("x",),
            'unsupported operator "In": supported values: "in", "notin", "=", "==", "!=", "gt", "lt", '
            '"exists", "!"',
        ),
        ("a", "lt", ("1", "2"), "for 'Gt', 'Lt' operators, exactly one value is required"),
        ("a b", "exists", (), f'invalid label key "a b": name part {NAME_HINT}'),
        ("a", "=", ("a b",), f'invalid label value "a b" for key "a": {LABEL_VALUE_HINT}'),
    ],
)
def test_requirement_validation(key, op, values, message):
    with pytest.raises(SelectorError) as info:
        Requirement(key, op, values)
    assert str(info.value) == message


def test_requirement_rejects_a_bare_string_as_values():
    with pytest.raises(TypeError):
        Requirement("a", "in", "xy")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("requirement", "text"),
    [
        (req("a", "=", "x"), "a=x"),
        (req("a", "==", "x"), "a=x"),
        (req("a", "=", ""), "a="),
        (req("a", "!=", "x"), "a!=x"),
        (req("a", "in", "y", "x"), "a in (x,y)"),
        (req("a", "in", ""), "a in ()"),
        (req("a", "notin", "", "b"), "a notin (,b)"),
        (req("a", "exists"), "a"),
        (req("a", "!"), "!a"),
        (req("a", "gt", "2"), "a>2"),
        (req("a", "lt", "8"), "a<8"),
    ],
)
def test_requirement_str(requirement, text):
    assert str(requirement) == text
    assert parse_label_selector(text).requirements == (requirement,)


def test_label_selector_sorts_by_key_stably():
    sel = LabelSelector((req("z", "exists"), req("b", "!=", "2"), req("a", "=", "1"), req("b", "exists")))
    assert [str(r) for r in sel.requirements] == ["a=1", "b!=2", "b", "z"]
    assert str(sel) == "a=1,b!=2,b,z"
    assert sel == parse_label_selector("z,b!=2,a=1,b")


def test_nothing_matches_nothing():
    assert NOTHING.matches({}) is False
    assert NOTHING.matches({"a": "b"}) is False
    assert NOTHING.empty is False
    assert str(NOTHING) == ""
    assert NOTHING != LabelSelector()
    assert LabelSelector() != NOTHING
    assert isinstance(NOTHING, LabelSelector)
    assert repr(NOTHING) == "NOTHING"


# ----------------------------------------------------------------------------- metav1.LabelSelector


def test_nil_struct_selects_nothing_but_empty_struct_selects_everything():
    assert label_selector_from_struct(None) is NOTHING
    for empty in (
        {},
        {"matchLabels": {}},
        {"matchExpressions": []},
        {"matchLabels": None, "matchExpressions": None},
    ):
        sel = label_selector_from_struct(empty)
        assert sel == LabelSelector()
        assert sel.empty
        assert sel.matches({})
        assert sel.matches({"any": "thing"})


def test_struct_conversion():
    sel = label_selector_from_struct(
        {
            "matchLabels": {"tier": "web", "app": "shop"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "zone", "operator": "NotIn", "values": ["z1"]},
                {"key": "gpu", "operator": "Exists"},
                {"key": "canary", "operator": "DoesNotExist", "values": []},
                {"key": "app", "operator": "Exists", "values": None},
            ],
        }
    )
    assert str(sel) == "app=shop,app,!canary,env in (dev,prod),gpu,tier=web,zone notin (z1)"
    labels = {"tier": "web", "app": "shop", "env": "dev", "gpu": "1"}
    assert sel.matches(labels)
    assert not sel.matches({**labels, "canary": "true"})
    assert not sel.matches({**labels, "zone": "z1"})
    assert sel.matches({**labels, "zone": "z2"})
    assert not sel.matches({k: v for k, v in labels.items() if k != "gpu"})


def test_struct_allows_empty_string_values():
    sel = label_selector_from_struct(
        {
            "matchLabels": {"a": ""},
            "matchExpressions": [
                {"key": "b", "operator": "In", "values": [""]},
            ],
        }
    )
    assert sel.matches({"a": "", "b": ""})
    assert not sel.matches({"a": "", "b": "x"})


@pytest.mark.parametrize(
    ("struct", "message"),
    [
        (
            {"matchExpressions": [{"key": "a", "operator": "In"}]},
            "matchExpressions[0].values: for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {
                "matchExpressions": [
                    {"key": "a", "operator": "Exists"},
                    {"key": "a", "operator": "NotIn", "values": []},
                ]
            },
            "matchExpressions[1].values: for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
            "matchExpressions[0].values: values set must be empty for exists and does not exist",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "DoesNotExist", "values": ["x"]}]},
            "matchExpressions[0].values: values set must be empty for exists and does not exist",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Foo", "values": ["x"]}]},
            'matchExpressions[0].operator: "Foo" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]},
            'matchExpressions[0].operator: "in" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "values": ["x"]}]},
            'matchExpressions[0].operator: "" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
            'matchExpressions[0].operator: "Gt" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["ok", "-bad"]}]},
            f'matchExpressions[0].values[1]: invalid label value "-bad" for key "a": {LABEL_VALUE_HINT}',
        ),
        (
            {"matchExpressions": [{"key": "a b", "operator": "Exists"}]},
            f'matchExpressions[0].key: invalid label key "a b": name part {NAME_HINT}',
        ),
        (
            {"matchExpressions": [{"operator": "Exists"}]},
            'matchExpressions[0].key: invalid label key "": name part must be non-empty; '
            f"name part {NAME_HINT}",
        ),
        (
            {"matchExpressions": [{"key": "-k", "operator": "In", "values": []}]},
            f'[matchExpressions[0].key: invalid label key "-k": name part {NAME_HINT}, '
            "matchExpressions[0].values: for 'in', 'notin' operators, values set can't be empty]",
        ),
        (
            {"matchLabels": {"a": "-x"}},
            f'matchLabels[a]: invalid label value "-x" for key "a": {LABEL_VALUE_HINT}',
        ),
        ({"matchLabels": {"a/b/c": "x"}}, 'matchLabels[a/b/c]: invalid label key "a/b/c": a valid label key'),
        ({"matchLabels": {"a": 1}}, "matchLabels[a]: label keys and values must be strings"),
        ({"matchLabels": ["a"]}, "matchLabels: must be an object mapping label keys to values"),
        ({"matchExpressions": {"key": "a"}}, "matchExpressions: must be a list"),
        ({"matchExpressions": ["a"]}, "matchExpressions[0]: must be an object with key, operator and values"),
        (
            {"matchExpressions": [{"key": 1, "operator": "Exists"}]},
            "matchExpressions[0].key: must be a string",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": "x"}]},
            "matchExpressions[0].values: must be a list of strings",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]},
            "matchExpressions[0].values[0]: must be a string",
        ),
        ("app=web", "label selector must be an object, not str"),
    ],
)
def test_struct_conversion_errors(struct, message):
    with pytest.raises(SelectorError) as info:
        label_selector_from_struct(struct)
    assert str(info.value).startswith(message)


# ----------------------------------------------------------------------------- field selectors


@pytest.mark.parametrize(
    ("text", "canonical", "fields"),
    [
        ("", "", set()),
        (",", "", set()),
        ("metadata.name=a", "metadata.name=a", {"metadata.name"}),
        ("metadata.name==a", "metadata.name=a", {"metadata.name"}),
        ("metadata.name!=a", "metadata.name!=a", {"metadata.name"}),
        ("b=2,a=1,", "a=1,b=2", {"a", "b"}),
        ("a=1,,b=2", "a=1,b=2", {"a", "b"}),
        ("a=", "a=", {"a"}),
        ("a!=", "a!=", {"a"}),
        ("=x", "=x", {""}),
        ("=", "", set()),
        ("!=", "", set()),
        ("a=x\\,y", "a=x\\,y", {"a"}),
        ("a=x\\=y", "a=x\\=y", {"a"}),
        ("a=x\\\\y", "a=x\\\\y", {"a"}),
        ("a=!b", "a=!b", {"a"}),
        ("a!b=c", "a!b=c", {"a!b"}),
        ("a = b", "a = b", {"a "}),
        (
            "spec.nodeName=,status.phase!=Failed",
            "spec.nodeName=,status.phase!=Failed",
            {"spec.nodeName", "status.phase"},
        ),
    ],
)
def test_parse_field_selector(text, canonical, fields):
    sel = parse_field_selector(text)
    assert str(sel) == canonical
    assert sel.fields == fields
    assert sel.empty is (canonical == "")


def test_field_values_are_unescaped():
    sel = parse_field_selector(r"a=x\,y\=z\\,b!=p")
    assert sel.requirements == (FieldRequirement("a", "=", "x,y=z\\"), FieldRequirement("b", "!=", "p"))
    assert sel.matches({"a": "x,y=z\\", "b": "q"})
    assert not sel.matches({"a": "x,y=z\\", "b": "p"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a", "invalid selector: 'a'; can't understand 'a'"),
        ("x=1,a", "invalid selector: 'x=1,a'; can't understand 'a'"),
        ("a=1, ", "invalid selector: 'a=1, '; can't understand ' '"),
        ("a=b=c", "invalid field selector: unescaped character in value: '='"),
        ("a===b", "invalid field selector: unescaped character in value: '='"),
        ("a=\\x", "invalid field selector: invalid escape sequence: \\x"),
        ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
        # Terms are sorted before parsing, so the first bad one in sorted order wins.
        ("z,a=\\q", "invalid field selector: invalid escape sequence: \\q"),
        ("z=\\q,a", "invalid selector: 'z=\\q,a'; can't understand 'a'"),
    ],
)
def test_field_selector_errors(text, message):
    with pytest.raises(SelectorError) as info:
        parse_field_selector(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("metadata.name=a", {"metadata.name": "a"}, True),
        ("metadata.name=a", {"metadata.name": "b"}, False),
        ("metadata.name=a", {}, False),
        ("metadata.name=", {}, True),
        ("metadata.name!=a", {}, True),
        ("metadata.name!=", {}, False),
        ("metadata.name!=a", {"metadata.name": "a"}, False),
        (
            "metadata.name=a,metadata.namespace!=kube-system",
            {"metadata.name": "a", "metadata.namespace": "x"},
            True,
        ),
        ("metadata.name=a,metadata.namespace!=x", {"metadata.name": "a", "metadata.namespace": "x"}, False),
        ("", {}, True),
    ],
)
def test_field_matching(text, fields, expected):
    assert parse_field_selector(text).matches(fields) is expected


def test_field_requirement_construction():
    assert FieldRequirement("a", "==", "x") == FieldRequirement("a", "=", "x")
    with pytest.raises(SelectorError, match="unsupported field selector operator"):
        FieldRequirement("a", "in", "x")
    sel = FieldSelector((FieldRequirement("b", "=", "x"), FieldRequirement("a", "!=", ",")))
    assert str(sel) == "a!=\\,,b=x"
    assert parse_field_selector(str(sel)) == sel


def test_object_fields():
    pod = {"metadata": {"name": "web-0", "namespace": "shop", "labels": {"a": "b"}}}
    assert object_fields(pod) == {"metadata.name": "web-0", "metadata.namespace": "shop"}
    assert object_fields({"metadata": {"name": "node-1"}}) == {
        "metadata.name": "node-1",
        "metadata.namespace": "",
    }
    assert object_fields({}) == {"metadata.name": "", "metadata.namespace": ""}
    assert parse_field_selector("metadata.namespace=").matches(object_fields({"metadata": {"name": "n"}}))


# ----------------------------------------------------------------------------- properties

_alnum = st.sampled_from("aZ09")
_names = st.one_of(
    _alnum,
    st.builds(lambda a, mid, b: a + mid + b, _alnum, st.text("-_.aZ9", max_size=4), _alnum),
)
_prefixes = st.sampled_from(["example.com", "k8s.io", "a", "0.1-x"])
_keys = st.one_of(
    _names, st.builds(lambda p, n: f"{p}/{n}", _prefixes, _names), st.sampled_from(["in", "notin"])
)
_values = st.one_of(st.just(""), _names, st.sampled_from(["in", "notin"]))
_numbers = st.integers(min_value=0, max_value=10**12).map(str)


@st.composite
def _requirements(draw) -> Requirement:
    key = draw(_keys)
    op = draw(st.sampled_from(["=", "==", "!=", "in", "notin", "exists", "!", "gt", "lt"]))
    if op in ("exists", "!"):
        return Requirement(key, op)
    if op in ("gt", "lt"):
        return Requirement(key, op, (draw(_numbers),))
    if op in ("in", "notin"):
        return Requirement(key, op, tuple(draw(st.lists(_values, min_size=1, max_size=4))))
    return Requirement(key, op, (draw(_values),))


_selectors = st.lists(_requirements(), max_size=5).map(lambda rs: LabelSelector(tuple(rs)))
_label_sets = st.dictionaries(_keys, st.one_of(_values, _numbers), max_size=5)


@settings(max_examples=60, deadline=None)
@given(_selectors)
def test_label_selector_string_round_trip(sel):
    text = str(sel)
    assert parse_label_selector(text) == sel
    assert str(parse_label_selector(text)) == text


@settings(max_examples=60, deadline=None)
@given(_selectors, _label_sets)
def test_reparsed_selector_matches_the_same(sel, labels):
    assert parse_label_selector(str(sel)).matches(labels) == sel.matches(labels)
    assert sel.matches(labels) == all(r.matches(labels) for r in sel.requirements)


@settings(max_examples=60, deadline=None)
@given(_keys, st.lists(_values, min_size=1, max_size=3), _label_sets)
def test_negated_operators_are_complements(key, values, labels):
    assert Requirement(key, "notin", values).matches(labels) != Requirement(key, "in", values).matches(labels)
    assert Requirement(key, "!=", values[:1]).matches(labels) != Requirement(key, "=", values[:1]).matches(
        labels
    )
    assert Requirement(key, "!").matches(labels) != Requirement(key, "exists").matches(labels)


_field_names = st.text("abc.XY", min_size=1, max_size=8)
_field_requirements = st.builds(
    FieldRequirement, _field_names, st.sampled_from(["=", "==", "!="]), st.text(max_size=8)
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_field_requirements, max_size=4).map(lambda rs: FieldSelector(tuple(rs))))
def test_field_selector_string_round_trip(sel):
    assert parse_field_selector(str(sel)) == sel
