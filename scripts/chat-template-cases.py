#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Golden cases for Ferry's chat-template engine, computed with the reference stack (jinja2 + transformers).

Writes Tests/FerryTokenizerTests/ChatTemplateConformanceCases.swift: JSON the Swift tests check without Python:
  "context": the variables every snippet renders with;
  "snippets": [{"template", "rendered" | "error" (+ "syntax_error_line")}];
  "conversations": {label: {"messages", "extra"}} (extra: tools and template kwargs);
  "chat": [{"file", "label", "add_generation_prompt", "rendered" | "error"}]: a real template from
  shared/models/chat-templates rendered as apply_chat_template does (bos "<s>", eos "</s>").

Run from the repository root:  python3 scripts/chat-template-cases.py [--check-only]
Needs `pip install jinja2 transformers` (no torch). strftime_now is fixed at 2026-01-15 12:00:00 local time.
"""
import copy
import json
import os
import sys
from datetime import datetime

from transformers.utils.chat_template_utils import _compile_jinja_template, render_jinja_template

FIXED_NOW = datetime(2026, 1, 15, 12, 0, 0)
TEMPLATES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "models", "chat-templates")
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "FerryTokenizerTests",
                   "ChatTemplateConformanceCases.swift")


def compiled(source):
    t = _compile_jinja_template(source)
    t.environment.globals["strftime_now"] = lambda fmt: FIXED_NOW.strftime(fmt)
    return t


def outcome(fn):
    try:
        return {"rendered": fn()}
    except Exception as e:  # noqa: BLE001 - every error becomes a golden message
        return {"error": str(e), "error_type": type(e).__name__}


CONTEXT = {
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello!"},
    ],
    "d": {"b": 1, "a": [1, 2], "items": "x", "nested": {"k": "v"}},
    "n": None,
    "lst": [3, 1, 2],
    "words": ["b", "A", "a", "B"],
    "people": [{"name": "Ann", "age": 30}, {"name": "bob", "age": 25}, {"name": "Cy"}],
    "s": "  Hello, World  ",
    "f": 2.5,
    "i": 7,
    "t": True,
    "empty": [],
    "uni": "Ünïcödé ✓ e\u0301 😀",
}

SNIPPETS = [
    # whitespace control, trim_blocks, lstrip_blocks
    "{{ x }}",
    "  {% if true %}\n    x\n  {% endif %}\n",
    "a  {%- if true %} b {% endif -%}  c",
    "{# comment #}\nx {#- c -#} y",
    "{% raw %}{{ x }}{% if %}{% endraw %}",
    "  {%- raw -%}  a  {%- endraw -%}  b",
    "{{ 'a' }}\n  {{ 'b' }}\n",
    "{%+ if true %}x{% endif %}",
    "  {%+ if true %}x{% endif %}",
    "line\n  {% if true +%}\nkeep\n{% endif %}\nend",
    "a\n\t {% for x in lst %}\n  {{ x }}\n\t{% endfor %}\nb",
    "{% if true %}\r\nwin\r\n{% endif %}\r\n",
    "x {# c #}\n y\n  {# c2 #}\nz",
    "{{- 'a' -}}\n\n  {{- 'b' }}  \n",
    "{%- set x = 1 -%}\n\n{{ x }}\n\n",
    "{% for m in messages %}\n  {{- m.role }}: {{ m.content }}\n{% endfor %}",
    "trailing\n",
    "trailing two\n\n",
    "{{ '{{' }} {{ '}}' }} {{ {'a': {'b': 1}} }}",
    # literals and printing
    "{{ 1 }} {{ 1.0 }} {{ 1.5e3 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ -0.0 }} {{ 1e16 }} {{ 1e-5 }}",
    "{{ none }} {{ None }} {{ true }} {{ False }} {{ n }} {{ t }}",
    "{{ [1, 'a', none, true, 1.0, {'k': (1,)}] }} {{ (1, 2) }} {{ () }} {{ d }}",
    "{{ 'it\\'s' }} {{ \"q\\\"q\" }} {{ 'a\\tb\\nc' | length }} {{ 'a' 'b' \"c\" }}",
    "{{ ['it\\'s', 'a\"b', \"a'\\\"b\", '\\n\\t\\\\', 'é\\x01', '\\u00e9\\U0001F600'] }}",
    "{{ '\\x41\\101\\q' }}",
    "{{ uni }} {{ uni|length }} {{ uni[-1] }} {{ uni[2:5] }} {{ uni|upper }} {{ [uni] }}",
    # arithmetic and operators
    "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}",
    "{{ 10 / 4 }} {{ 10 / 5 }} {{ 7.5 // 2 }} {{ 7.5 % 2 }} {{ 1 + 2.0 }} {{ 0.1 + 0.2 }} {{ 1 + true }} {{ 2 ** -1 }}",
    "{{ 'ab' * 3 }} {{ [1] * 3 }} {{ 3 * 'x' }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ (1,) + (2,) }} {{ 'a' ~ 1 ~ none ~ n ~ missing }}",
    "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ true == 1 }} {{ (1, 2) == [1, 2] }}",
    "{{ 'a' in 'abc' }} {{ 'x' not in 'abc' }} {{ 1 in [1, 2] }} {{ 'b' in d }} {{ 'z' in d }} {{ 'k' in missing }}",
    "{{ none or 'x' }} {{ 0 and 1 }} {{ '' or [] }} {{ 1 if false }}|{{ 'a' if true else 'b' }} {{ not 1 == 2 }} {{ not none }}",
    "{{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }} {{ missing == missing }} {{ missing == none }} {{ n is none }}",
    "{{ -i }} {{ +f }} {{ -(1 + 2) * 3 }} {{ (1 + 2) * 3 }} {{ 1 + 2 * 3 }} {{ 'x' ~ 1 + 2 }}",
    # attribute and item access
    "{{ d.b }} {{ d['b'] }} {{ d.items is callable }} {{ d['items'] }} {{ d.nested.k }} {{ d['nested']['k'] }} {{ d.missing }}|",
    "{{ lst[0] }} {{ lst[-1] }} {{ lst[5] }}|{{ lst.0 }} {{ messages[1].content }} {{ messages[-1]['role'] }}",
    "{{ lst[1:] }} {{ lst[:-1] }} {{ lst[::-1] }} {{ lst[::2] }} {{ 'abcdef'[1:3] }} {{ 'abcdef'[::-1] }} {{ 'abc'[5:] }}|",
    "{{ [1,2,3][5::-1] }} {{ [1,2,3][-5:] }} {{ [1,2,3][:-5] }} {{ 'abcdef'[-2::-2] }} {{ lst[1:2:0] }}",
    "{{ n.foo }}|{{ n['foo'] }}|{{ (1).foo }}|{{ 'abc'.foo }}|{{ messages[0][0] }}|",
    "{{ d.get('b') }} {{ d.get('zz') }} {{ d.get('zz', 5) }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }}",
    # undefined semantics
    "{{ missing }}|{{ missing|length }}|{{ missing|list }}|{{ missing|default('dflt') }}|{% for x in missing %}x{% endfor %}|{{ missing is defined }}",
    "{{ missing.attr }}",
    "{{ missing[0] }}",
    "{{ missing + 1 }}",
    "{{ 'a' + missing }}",
    "{{ d.nope.deeper }}",
    "{{ messages[9].role }}",
    "{{ missing|tojson }}",
    "{{ missing() }}",
    "{% if missing %}yes{% else %}no{% endif %} {{ missing|string }}| {{ missing|upper }}| {{ missing|first }}|",
    "{{ (1 if false).x }}",
    # type errors with Python's messages
    "{{ 'a' + n }}", "{{ n + 'a' }}", "{{ 1 + 'a' }}", "{{ [1] + 'a' }}", "{% for x in n %}{% endfor %}",
    "{{ 'a' in n }}", "{{ 1 in 'abc' }}", "{{ n|length }}", "{{ 1 < 'a' }}", "{{ 5 // 0 }}", "{{ 5 / 0 }}",
    "{{ 5 % 0 }}", "{{ -'a' }}", "{{ 'a'(1) }}", "{{ n(1) }}", "{% for x in 5 %}{% endfor %}", "{{ 'x' * 'y' }}",
    "{% for a, b in [[1]] %}{% endfor %}", "{% for a, b in [[1, 2, 3]] %}{% endfor %}",
    "{{ lst.append(1) }}", "{{ lst.append }}|{{ d.update }}|", "{{ d|items|list }}", "{{ lst|items|list }}",
    # loops
    "{% for x in lst %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}",
    "{% for x in lst %}{{ loop.previtem }}-{{ loop.nextitem }}|{% endfor %}",
    "{% for x in lst %}{{ loop.cycle('a', 'b') }}{% endfor %} {% for x in [1, 1, 2] %}{{ loop.changed(x) }}{% endfor %}",
    "{% for x in [1, 2, 3, 4] if x is even %}{{ loop.index }}/{{ loop.length }}:{{ x }} {% else %}none{% endfor %}",
    "{% for x in [] %}a{% else %}empty{% endfor %} {% for x in [1] if false %}a{% else %}filtered{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %} {% for k in d %}{{ k }}{% endfor %} {% for c in 'héllo' %}{{ c }}.{% endfor %}",
    "{% for a, b in ['ab', 'cd'] %}{{ b }}{{ a }}{% endfor %} {% for (a, b) in [(1, 2)] %}{{ a + b }}{% endfor %}",
    "{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}|{% for i in range(5) %}{% if i is odd %}{% continue %}{% endif %}{{ i }}{% endfor %}",
    "{% for x in [1] %}{% for y in [2, 3] %}{{ loop.index }}{{ loop.depth }}{% endfor %}{{ loop.index }}{% endfor %}",
    "{% set x = 9 %}{% for i in range(3) %}{{ x }}{% set x = i %}{{ x }}|{% endfor %}{{ x }}",
    "{% for i in range(3) %}{% if i == 1 %}{% set y = 5 %}{% endif %}{{ y }}|{% endfor %}{{ y }}",
    "{% if true %}{% set z = 1 %}{% endif %}{{ z }}",
    "{{ loop.index }}",
    "{% for x in lst %}{% endfor %}{{ x }}|",
    "{{ range(3)|list }} {{ range(2, 10, 3)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }}",
    "{{ range(100001)|length }}",
    # namespace
    "{% set ns = namespace(a=1, b='x') %}{% for i in lst %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }} {{ ns.b }} {{ ns }}",
    "{% set ns = namespace() %}{% set ns.items = [1] %}{{ ns.items }} {{ ns.missing }}|",
    "{% set ns = namespace() %}{{ ns.x.y }}",
    "{% set ns = namespace(_a=1) %}",
    "{% set ns = namespace() %}{% set ns._a = 1 %}",
    "{% set x = 1 %}{% set x.y = 2 %}",
    "{% set ns = namespace(d) %}{{ ns.b }}",
    # set forms
    "{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set t = 1, %}{{ t }} {% set l = [1, 2] %}{% set p, q = l %}{{ q }}",
    "{% set x %}a{{ 1 }}b{% endset %}{{ x }}|{% set y | upper | replace('B', '-') %}abc{% endset %}{{ y }}",
    "{% filter upper %}xyz {{ 'q' }}{% endfilter %}|{% filter replace('a', 'b') | title %}aaa a{% endfilter %}",
    "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}|",
    "{% generation %}{% set q = 1 %}gen{% endgeneration %}{{ q }}|",
    # macros
    "{% macro m(a, b=2) %}{{ a }}-{{ b }}-{{ x }}{% endmacro %}{% set x = 1 %}{{ m(1) }}{% set x = 2 %}{{ m(3, b=4) }}{{ m(b=5, a=6) }}",
    "{% macro m(a, b) %}[{{ a }}|{{ b }}]{% endmacro %}{{ m(1) }}{{ m() }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, c=2) }}",
    "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, c=3) }}",
    "{% macro m(a) %}<{{ caller() }}>{% endmacro %}{% call m(1) %}body{{ 2 }}{% endcall %}",
    "{% macro m() %}{% for i in [1, 2] %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(v) m() %}[{{ v }}]{% endcall %}",
    "{% macro m(a) %}{{ a.b }}{% endmacro %}{{ m() }}",
    "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}",
    "{% macro f(x) %}{% set x = x ~ '!' %}{{ x }}{% endmacro %}{{ f('a') }}{% set r = f('b') %}{{ r|length }}",
    "{% macro m(a, b=a ~ 'x') %}{{ b }}{% endmacro %}{{ m('q') }}",
    "{% macro m() %}x{% endmacro %}{{ m }}|{{ m is callable }}",
    # filters
    "{{ s|trim }}|{{ s|trim(' H') }}|{{ s|upper }}|{{ s|lower }}|{{ 'hello wORLD-foo(bar'|title }}|{{ 'hELLO wORLD'|capitalize }}",
    "{{ lst|length }} {{ d|count }} {{ 'abc'|length }} {{ lst|first }} {{ lst|last }} {{ 'ab'|first }} {{ d|first }} {{ []|first }}|",
    "{{ lst|join }} {{ lst|join(', ') }} {{ ['a', 1, none]|join('|') }} {{ people|join(',', attribute='name') }}",
    "{{ none|default('x') }} {{ none|default('x', true) }} {{ ''|d('e', true) }} {{ 0|default(5) }} {{ missing|d }}|",
    "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'abc'|replace('', '-') }} {{ 1|replace(1, 2) }}",
    "{{ d|tojson }} {{ d|tojson(indent=2) }} {{ 'é<>&\\'\"\\n'|tojson }} {{ [1.0, 2, none, true, 1e20, -0.5]|tojson }}",
    "{{ d|tojson(4) }} {{ 'é'|tojson(true) }} {{ d|tojson(indent=2, separators=(',', ':')) }} {{ d|tojson(sort_keys=true) }}",
    "{{ {}|tojson(indent=2) }} {{ []|tojson(indent=2) }} {{ [[]]|tojson(indent='\\t') }} {{ (1, 2)|tojson }} {{ 'a\\u0001\\u007f'|tojson }}",
    "{{ {'a': 1}|tojson(indent=0) }}|{{ '😀'|tojson(ensure_ascii=true) }}",
    "{{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int }} {{ 3.9|int }} {{ -3.9|int }} {{ none|int }} {{ true|int }} {{ ' 12 '|int }} {{ '0x1A'|int(base=16) }} {{ '1_000'|int }} {{ 'x'|int(7) }}",
    "{{ '3.5'|float }} {{ 3|float }} {{ 'x'|float }} {{ 'x'|float(1.5) }} {{ ' 1e3 '|float }} {{ 'inf'|float }}",
    "{{ 'abc'|list }} {{ d|list }} {{ lst|list }} {{ 'abc'|reverse }} {{ lst|reverse|list }} {{ lst|string }} {{ 1|string }}",
    "{{ words|sort }} {{ words|sort(case_sensitive=true) }} {{ lst|sort(reverse=true) }} {{ people|sort(attribute='name')|map(attribute='name')|list }}",
    "{{ words|unique|list }} {{ words|unique(case_sensitive=true)|list }} {{ people|map(attribute='age')|list }} {{ people|map(attribute='age', default=0)|list }}",
    "{{ people|selectattr('age')|map(attribute='name')|join }} {{ people|rejectattr('age')|list }} {{ people|selectattr('age', 'gt', 26)|list }} {{ people|selectattr('name', 'equalto', 'bob')|list }}",
    "{{ lst|select('odd')|list }} {{ lst|reject('odd')|list }} {{ lst|select('gt', 1)|list }} {{ [0, 1, '', none, 'a']|select|list }} {{ words|map('upper')|list }} {{ lst|map('string')|join('+') }}",
    "{{ {'b': 1, 'A': 2, 'a': 0}|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }} {{ {'b': 1, 'a': 2}|dictsort(reverse=true) }}",
    "{{ lst|sum }} {{ lst|sum(start=10) }} {{ people|sum(attribute='age') }} {{ lst|max }} {{ lst|min }} {{ words|max }} {{ words|min(case_sensitive=true) }} {{ []|max }}|",
    "{{ 2.5|round }} {{ 3.5|round }} {{ 2|round }} {{ 2.567|round(2) }} {{ 2.5|round(method='ceil') }} {{ 2.5|round(method='floor') }} {{ -2.5|abs }} {{ -3|abs }} {{ 1234.5|round(-2) }} {{ 2.675|round(2) }}",
    "{{ 'a\\nb'|indent }}|{{ 'a\\nb'|indent(2) }}|{{ 'a\\n\\nb'|indent(2, true) }}|{{ 'a\\n\\nb\\n'|indent(2, blank=true) }}|{{ 'a\\nb'|indent('> ') }}",
    "{{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 'x')|list }} {{ [1, 2, 3, 4, 5]|slice(2)|list }} {{ [1, 2, 3]|slice(2, 0)|list }}",
    "{{ '<a href=\"x\">&\\''|escape }} {{ 'x'|e }} {{ '<b>'|safe }} {{ 'hi'|center(6) }}|{{ 'ab'|center(7) }}|{{ 'a b  c_d é'|wordcount }} {{ d|attr('b') }}|{{ d|attr('keys') is callable }}",
    "{{ '%s-%d-%05.2f' % ('a', 3, 2.5) }} {{ '%s' % [1] }} {{ '%(a)s and %(b)d' % {'a': 'x', 'b': 2} }} {{ '%5s|%-5s|%05d|%.3f|%x|%r|%%' % ('a', 'b', 42, 3.14159, 255, 'q') }}",
    "{{ '%s and %s'|format('a', 'b') }} {{ '%(x)s'|format(x=1) }} {{ 'long text here'|truncate(9) }} {{ 'long text here ok'|truncate(9, true) }} {{ 'short'|truncate(9) }}",
    "{{ 'x'|nosuchfilter }}",
    "{% if false %}{{ x|nofilter }}{% endif %}ok", "{% if true %}{{ x|nofilter }}{% endif %}ok",
    "{{ x|nofilter if false else 1 }}", "{% if true %}{% for a in [1] %}{{ a|nofilter }}{% endfor %}{% endif %}",
    "{% if 1 is nosuch %}{% endif %}", "{% if false %}{% filter nofilt %}{% endfilter %}{% endif %}",
    "{{ 5.0 % 0 }}", "{{ 5.0 // 0 }}", "{{ 5.0 / 0 }}", "{{ 0 ** -1 }}",
    # tests
    "{{ 1 is number }} {{ true is number }} {{ true is integer }} {{ 1 is integer }} {{ 1.0 is float }} {{ 'a' is string }} {{ 'a' is iterable }} {{ d is mapping }} {{ lst is sequence }} {{ 'a' is sequence }} {{ d is sequence }} {{ 1 is iterable }}",
    "{{ none is none }} {{ 1 is odd }} {{ 2 is even }} {{ 10 is divisibleby 5 }} {{ 10 is divisibleby(3) }} {{ 'a' is eq 'a' }} {{ 1 is in [1] }} {{ 'A' is upper }} {{ 'a' is lower }} {{ true is true }} {{ 1 is true }} {{ 1 is boolean }} {{ false is false }}",
    "{{ d is callable }} {{ d.get is callable }} {{ missing is undefined }} {{ n is defined }} {{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }} {{ 3 is gt 2 }} {{ 3 is lt 2 }} {{ 3 is ge 3 }} {{ 3 is le 2 }} {{ 3 is ne 3 }} {{ 3 is greaterthan 1 }} {{ none is sameas none }} {{ 1 is not none }}",
    "{{ missing is iterable }} {{ missing is sequence }} {{ missing is mapping }} {{ n is iterable }} {{ 1 is nosuchtest }}",
    # string methods
    "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ 'a\\nb\\r\\nc'.splitlines() }}",
    "{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith(('x', 'a')) }} {{ 'abc'.startswith('b', 1) }} {{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }}",
    "{{ 'abcabc'.replace('b', 'X') }} {{ 'abcabc'.replace('b', 'X', 1) }} {{ 'abcabc'.find('c') }} {{ 'abcabc'.rfind('c') }} {{ 'abc'.find('z') }} {{ 'abcabc'.count('bc') }} {{ '-'.join(['a', 'b']) }} {{ 'x'.join('abc') }}",
    "{{ 'hello {name}'.format(name='w') }} {{ '{}-{}'.format(1, 'a') }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{:>6.2f}|{:,}|{:05d}|{!r:>6}|{:^7}|{:<4}|'.format(3.14159, 1234567, 42, 'x', 'mid', 'l') }}",
    "{{ 'a'.center(5, '*') }} {{ 'a'.ljust(3, '.') }} {{ 'a'.rjust(3) }} {{ '42'.zfill(5) }} {{ '-42'.zfill(5) }} {{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} {{ 'abc'.removeprefix('a') }} {{ 'abc'.removesuffix('c') }}",
    "{{ 'abc'.isalpha() }} {{ '123'.isdigit() }} {{ 'ab1'.isalnum() }} {{ '  '.isspace() }} {{ 'Ab'.istitle() }} {{ 'AB'.isupper() }} {{ 'ab'.islower() }} {{ 'Hello'.swapcase() }} {{ 'a\\tb'.expandtabs(4) }} {{ (2.0).is_integer() }}",
    "{{ '<think>a</think>b'.split('</think>')[-1] }} {{ 'x\\n\\ny'.lstrip('\\n') }} {{ lst.index(1) }} {{ lst.count(3) }} {{ 'a'.index('z') }}",
    # found by differential fuzzing against jinja2
    "{{ none|map('upper')|list }} {{ 0|select|list }} {{ ''|reject|list }} {{ false|selectattr('a')|list }}",
    "{{ f[1:2] }}", "{{ d[1:2] }}", "{{ n[1:] }}", "{{ 2.5[-1:10:-1] }}|{{ {'a': 1}[1:2] }}|{{ 'a' != (0)[5:2:2] }}",
    "{{ (2.5 if i else x)[5:2] }}|{{ (1 if 0 else [1, 2])[1:] }}|{{ (0 and missing) }}",
    "{% for x in (0.1[:10:-1]) %}{% endfor %}", "{{ ({}[-1:10])|tojson }}",
    "{{ 'a%s' % missing }}|{{ 'a' % missing }}|{{ 'a' % [] }}", "{{ '%(a)s' % missing }}",
    "{{ missing|int }}", "{{ missing|float }}", "{{ missing|round }}", "{{ missing|abs }}", "{{ none|last }}", "{{ f|last }}",
    "{{ missing is callable }} {{ n['role'] is callable }}", "{{ [1, 2, 3]|truncate(5, true, '') }}",
    "{{ missing|truncate(5)|tojson }}", "{{ lst|indent }}", "{{ (1,)|indent }}", "{{ 5|indent }}",
    "{{ [3, 1, 2]|sort(attribute='age') }}", "{{ [{'age': 3}, {}, {'age': 1}]|sort(attribute='age') }}",
    "{{ ['b', 'a']|unique(attribute='x')|list }}", "{{ ['b', 'a']|max(attribute='x') }}", "{{ 1 ** {} }}",
    # globals
    "{{ dict(a=1, b=2) }} {{ dict([('a', 1)]) }} {{ dict(d, z=0) }} {{ dict() }}",
    "{{ raise_exception('boom: ' ~ 1) }}",
    "{% if true %}{{ raise_exception('inside') }}{% endif %}after",
    "{{ strftime_now('%Y-%m-%d %d %b %Y %H:%M:%S %A %a %B %j %p %I %y %-d %e %m/%d') }}",
    # syntax errors (the message is checked loosely: the line must match)
    "{% if true %}\nunclosed",
    "line1\n{% for %}",
    "{{ 1 + }}",
    "{% endif %}",
    "a\nb\n{% nosuchtag %}",
    "{{ 'unterminated }}",
    "{% for x in lst %}{% endif %}{% endfor %}",
    "{% macro m(a=1, b) %}{% endmacro %}",
    "{% break %}",
    "x\n{# unclosed comment",
    "{% set 1 = 2 %}",
]

# Conversations for the real templates (tools, tool calls, reasoning, None values).
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Unit"},
                "days": {"type": "integer", "description": "Days ahead", "default": 1},
                "tags": {"type": "array", "items": {"type": "string"}, "description": "Tags"},
                "opts": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"],
                         "description": "Options"},
                "either": {"type": ["string", "number"], "description": "Either"},
            },
            "required": ["city"],
        },
        "return": {"type": "string", "description": "A weather report"},
    },
}
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string", "description": "Query"}},
                       "required": ["q"]},
    },
}
TOOL_CALL = {"id": "call12345", "type": "function",
             "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}
TOOL_CALL_STR = {"id": "call67890", "type": "function",
                 "function": {"name": "search", "arguments": "{\"q\": \"news\"}"}}

CONVERSATIONS = [
    ("plain", [{"role": "user", "content": "Hello!"}], {}),
    ("system", [{"role": "system", "content": "You are terse. /no_think"}, {"role": "user", "content": "Hi"}], {}),
    ("multi", [{"role": "user", "content": "  A  "}, {"role": "assistant", "content": "<think>hmm</think>\n\nB"},
               {"role": "user", "content": "C"}], {}),
    ("tools", [{"role": "user", "content": "Weather in Paris?"}], {"tools": [WEATHER_TOOL, SEARCH_TOOL]}),
    ("tool-roundtrip", [
        {"role": "system", "content": "Use tools."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
        {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "Sunny, 21C"},
        {"role": "assistant", "content": "It is sunny."},
        {"role": "user", "content": "Thanks"},
    ], {"tools": [WEATHER_TOOL]}),
    ("two-tool-calls", [
        {"role": "user", "content": "Do both"},
        {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL, TOOL_CALL_STR]},
        {"role": "tool", "tool_call_id": "call12345", "content": "ok1"},
        {"role": "tool", "tool_call_id": "call67890", "content": "ok2"},
    ], {"tools": [WEATHER_TOOL, SEARCH_TOOL]}),
    ("reasoning", [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4", "reasoning_content": "Add them."},
        {"role": "user", "content": "3+3?"},
    ], {"enable_thinking": False}),
    ("extra-kwargs", [{"role": "user", "content": "Hi"}],
     {"reasoning_effort": "high", "builtin_tools": ["browser", "python"], "model_identity": "You are Q.",
      "date_string": "1 Jan 2025", "tools_in_user_message": False, "custom_tools": [SEARCH_TOOL]}),
    ("alternation-error", [{"role": "user", "content": "A"}, {"role": "user", "content": "B"}], {}),
    ("content-list", [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], {}),
]


def snippet_cases():
    cases = []
    for src in SNIPPETS:
        try:
            t = compiled(src)
        except Exception as e:  # noqa: BLE001
            cases.append({"template": src, "syntax_error_line": e.lineno, "error": str(e),
                          "error_type": type(e).__name__})
            continue
        case = {"template": src}
        # A fresh copy each time: some filters mutate their input in place (indent on a list does `s += '\\n'`).
        case.update(outcome(lambda: t.render(**copy.deepcopy(CONTEXT))))
        cases.append(case)
    return cases


def chat_cases():
    cases = []
    for name in sorted(os.listdir(TEMPLATES)):
        if not name.endswith(".jinja"):
            continue
        source = open(os.path.join(TEMPLATES, name), encoding="utf-8").read()
        compiled(source)
        for label, messages, extra in CONVERSATIONS:
            for agp in (True, False):
                extra_ = dict(extra)
                tools = extra_.pop("tools", None)
                kwargs = {"bos_token": "<s>", "eos_token": "</s>", **extra_}
                # apply_chat_template drops None-valued message keys before rendering.
                msgs = [{k: v for k, v in m.items() if v is not None} for m in copy.deepcopy(messages)]

                def render():
                    out, _ = render_jinja_template(conversations=[msgs], tools=copy.deepcopy(tools),
                                                   chat_template=source, add_generation_prompt=agp,
                                                   **copy.deepcopy(kwargs))
                    return out[0]

                case = {"file": name, "label": label, "add_generation_prompt": agp}
                case.update(outcome(render))
                cases.append(case)
    return cases


def main():
    snippets, chats = snippet_cases(), chat_cases()
    cases = {
        "context": CONTEXT,
        "snippets": snippets,
        "conversations": {label: {"messages": m, "extra": x} for label, m, x in CONVERSATIONS},
        "chat": chats,
    }
    text = json.dumps(cases, ensure_ascii=True, indent=0)
    assert '"""##' not in text
    swift = (
        "// SPDX-License-Identifier: Apache-2.0\n"
        "// Generated by scripts/chat-template-cases.py from jinja2 "
        + __import__("jinja2").__version__ + " + transformers " + __import__("transformers").__version__
        + ". Do not edit.\n\n"
        "enum ChatTemplateConformanceCases {\n"
        "    static let json = ##\"\"\"\n" + text + "\n\"\"\"##\n}\n"
    )
    if "--check-only" in sys.argv:
        print(f"{len(snippets)} snippets, {len(chats)} chat cases")
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(swift)
    print(f"wrote {len(snippets)} snippets and {len(chats)} chat cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
