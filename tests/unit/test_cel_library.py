"""Kubernetes' CEL extension functions, as CRD rules call them (the corpus proves them against
kube-apiserver; here each function is pinned on its own, errors included)."""

from __future__ import annotations

import celpy
import pytest

from karmadad.api.crd_schemas import _program

SELF = {"s": "ABC", "l": [1, 2, 3], "mem": "512Mi"}

HOLDS = [
    "self.s.lowerAscii() == 'abc' && 'abc'.upperAscii() == 'ABC'",
    "self.s.charAt(1) == 'B' && self.s.charAt(3) == ''",
    "self.s.indexOf('C') == 2 && self.s.indexOf('Z') == -1 && 'abab'.indexOf('b', 2) == 3",
    "'abab'.lastIndexOf('b') == 3 && 'abab'.lastIndexOf('b', 2) == 1",
    "self.s.split('B') == ['A', 'C'] && 'a,b,c'.split(',', 2) == ['a', 'b,c'] && 'a,b'.split(',', 0) == []",
    "'abc'.split('') == ['a', 'b', 'c'] && 'abc'.split('', 2) == ['a', 'bc'] && 'ab'.split('', 5) == ['a', 'b']",
    "url('https://Example.COM:80/').getHostname() == 'Example.COM' && url('https://u@h/').getHost() == 'h'",
    "self.s.substring(1) == 'BC' && self.s.substring(0, 1) == 'A'",
    "self.s.replace('B', 'x') == 'AxC' && 'aaa'.replace('a', 'b', 2) == 'bba'",
    "['a', 'b'].join('-') == 'a-b' && ['a', 'b'].join() == 'ab' && ' x '.trim() == 'x'",
    "'abc'.reverse() == 'cba' && [1, 2].reverse() == [2, 1]",
    "self.l.isSorted() && !([2, 1].isSorted()) && self.l.sum() == 6 && self.l.min() == 1 && self.l.max() == 3",
    "self.l.indexOf(2) == 1 && [1, 2, 1].lastIndexOf(1) == 2 && [1].indexOf(5) == -1",
    "self.s.find('[A-Z]+') == 'ABC' && 'a1b22'.findAll('[0-9]+') == ['1', '22'] && 'a1b2'.findAll('[0-9]', 1) == ['1']",
    "url('https://example.com:8443/p?q=1').getHost() == 'example.com:8443'",
    "url('https://example.com:8443/p').getPort() == '8443' && url('https://example.com/p').getPort() == ''",
    "url('https://[::1]:80/').getHostname() == '::1' && url('/a/b').getEscapedPath() == '/a/b'",
    "url('https://example.com/p?q=1&q=2').getQuery()['q'] == ['1', '2'] && !isURL('not a url')",
    "quantity(self.mem).isLessThan(quantity('1Gi')) && quantity('1').compareTo(quantity('1000m')) == 0",
    "!quantity('1.5').isInteger() && quantity('2k').asInteger() == 2000 && !isQuantity('lots')",
    "quantity('1') == quantity('1000m') && quantity('1').add(1).isGreaterThan(quantity('1500m'))",
    "quantity('1').sub(quantity('500m')).compareTo(quantity('0.5')) == 0",
    "ip('10.0.0.1').family() == 4 && ip('::1').family() == 6 && !isIP('10.0.0.300') && !isIP('::ffff:1.2.3.4')",
    "ip('127.0.0.1').isLoopback() && ip('8.8.8.8').isGlobalUnicast() && ip('0.0.0.0').isUnspecified()",
    "ip('169.254.1.1').isLinkLocalUnicast() && ip('224.0.0.1').isLinkLocalMulticast() && ip('ff02::1').isLinkLocalMulticast()",
    "cidr('10.0.0.0/8').containsIP(ip('10.1.2.3')) && cidr('10.0.0.0/8').containsIP('10.1.2.3')",
    "cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') && !cidr('10.1.0.0/16').containsCIDR('10.0.0.0/8')",
    "cidr('10.1.2.3/8').masked() == cidr('10.0.0.0/8') && cidr('10.1.2.3/8').ip() == ip('10.1.2.3')",
    "cidr('10.0.0.0/8').prefixLength() == 8 && !isCIDR('10.0.0.0') && !isCIDR('10.0.0.0/33')",
]

FAILS = [
    "self.s.charAt(9) == ''",
    "self.s.substring(2, 1) == ''",
    "[].min() == 0",
    "url('no scheme') == url('x')",
    "quantity('lots').isInteger()",
    "quantity('1.5').asInteger() == 1",
    "ip('300.1.1.1').family() == 4",
    "cidr('10.0.0.0').prefixLength() == 0",
    "self.l.lowerAscii() == ''",
]


def _evaluate(rule: str) -> object:
    return _program(rule).evaluate({"self": celpy.json_to_cel(SELF)})


@pytest.mark.parametrize("rule", HOLDS)
def test_the_functions_answer_as_kubernetes_does(rule: str) -> None:
    assert _evaluate(rule) is not None and bool(_evaluate(rule)) is True


@pytest.mark.parametrize("rule", FAILS)
def test_a_value_a_function_cannot_take_fails_the_rule(rule: str) -> None:
    with pytest.raises(celpy.CELEvalError):
        _evaluate(rule)
