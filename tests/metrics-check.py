#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A strict reader of the Prometheus text exposition format 0.0.4, for the
tests of skip-kpd's /metrics. Reads the exposition on stdin; exits 1 with
the line and the rule it breaks, else prints one "SERIES VALUE" line per
sample (SERIES as name{label="value",...}, labels sorted), for the tests
to grep.

Rules checked: every line is a HELP, a TYPE or a sample (blank lines
allowed); names and label names are well-formed; label values use only the
escapes \\\\, \\" and \\n; values are floats (or +Inf, -Inf, NaN); each
family has one HELP and one TYPE, before its samples, and its samples are
contiguous; no series repeats; counters end in _total; a histogram has
_bucket samples with increasing "le" bounds ending at +Inf, cumulative
counts that never decrease, and _sum and _count, with _count equal to the
+Inf bucket."""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Bad(Exception):
    pass


def parse_value(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise Bad(f"value {text!r} is not a float")


def parse_labels(text, pos):
    """Labels from text[pos] == '{'; returns (dict, position after '}')."""
    labels = {}
    pos += 1
    while True:
        if text[pos:pos + 1] == "}":
            return labels, pos + 1
        m = LABEL.match(text, pos)
        if not m:
            raise Bad(f"bad label name at column {pos}")
        name = m.group(0)
        pos = m.end()
        if text[pos:pos + 2] != '="':
            raise Bad(f'label {name}: expected ="')
        pos += 2
        value = []
        while True:
            if pos >= len(text):
                raise Bad(f"label {name}: unterminated value")
            c = text[pos]
            if c == "\\":
                nxt = text[pos + 1:pos + 2]
                if nxt not in ("\\", '"', "n"):
                    raise Bad(f"label {name}: bad escape \\{nxt}")
                value.append("\n" if nxt == "n" else nxt)
                pos += 2
            elif c == '"':
                pos += 1
                break
            elif c == "\n":
                raise Bad(f"label {name}: raw newline")
            else:
                value.append(c)
                pos += 1
        if name in labels:
            raise Bad(f"label {name} given twice")
        labels[name] = "".join(value)
        if text[pos:pos + 1] == ",":
            pos += 1
        elif text[pos:pos + 1] != "}":
            raise Bad(f"expected , or }} after label {name}")


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[: -len(suffix)]) in (
                "histogram", "summary"):
            return name[: -len(suffix)]
    return name


def check(lines):
    helps, types, seen_series, samples = {}, {}, set(), []
    done_families, current = set(), None
    for number, line in enumerate(lines, 1):
        try:
            if line == "":
                continue
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                    name = parts[2]
                    if not NAME.fullmatch(name):
                        raise Bad(f"bad metric name {name!r}")
                    if name in done_families:
                        raise Bad(f"{parts[1]} for {name} after its samples")
                    book = helps if parts[1] == "HELP" else types
                    if name in book:
                        raise Bad(f"second {parts[1]} for {name}")
                    if parts[1] == "TYPE":
                        if len(parts) != 4 or parts[3] not in TYPES:
                            raise Bad(f"bad TYPE line")
                        types[name] = parts[3]
                    else:
                        helps[name] = parts[3] if len(parts) == 4 else ""
                continue  # other comments are allowed
            m = NAME.match(line)
            if not m:
                raise Bad("a sample must start with a metric name")
            name, pos = m.group(0), m.end()
            labels = {}
            if line[pos:pos + 1] == "{":
                labels, pos = parse_labels(line, pos)
            if line[pos:pos + 1] != " ":
                raise Bad("expected a space before the value")
            fields = line[pos + 1:].split(" ")
            if len(fields) not in (1, 2):
                raise Bad("expected a value and at most a timestamp")
            value = parse_value(fields[0])
            family = family_of(name, types)
            if family not in types or family not in helps:
                raise Bad(f"sample of {family} before its HELP and TYPE")
            if family != current:
                if family in done_families:
                    raise Bad(f"samples of {family} are not contiguous")
                if current is not None:
                    done_families.add(current)
                current = family
            if types[family] == "counter" and not family.endswith("_total"):
                raise Bad(f"counter {family} does not end in _total")
            if types[family] == "counter" and value < 0:
                raise Bad(f"counter {family} is negative")
            key = name + ("{" + ",".join(
                f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
                          if labels else "")
            if key in seen_series:
                raise Bad(f"series {key} repeats")
            seen_series.add(key)
            samples.append((family, name, labels, value, key))
        except Bad as why:
            raise Bad(f"line {number}: {why}: {line!r}")
    for family, kind in types.items():
        if kind == "histogram":
            check_histogram(family, [s for s in samples if s[0] == family])
    return samples


def check_histogram(family, samples):
    groups = {}
    for _, name, labels, value, _ in samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        groups.setdefault(rest, []).append((name, labels, value))
    for rest, items in groups.items():
        buckets = [(parse_value(l["le"]), v) for n, l, v in items
                   if n == family + "_bucket"]
        sums = [v for n, _, v in items if n == family + "_sum"]
        counts = [v for n, _, v in items if n == family + "_count"]
        if not buckets or buckets[-1][0] != math.inf:
            raise Bad(f"histogram {family}: no +Inf bucket last")
        for (b1, c1), (b2, c2) in zip(buckets, buckets[1:]):
            if not b2 > b1:
                raise Bad(f"histogram {family}: bounds not increasing")
            if c2 < c1:
                raise Bad(f"histogram {family}: bucket counts decrease")
        if len(sums) != 1 or len(counts) != 1:
            raise Bad(f"histogram {family}: needs one _sum and one _count")
        if counts[0] != buckets[-1][1]:
            raise Bad(f"histogram {family}: _count is not the +Inf bucket")


def main():
    text = sys.stdin.read()
    if text and not text.endswith("\n"):
        print("metrics-check: the exposition does not end with a newline")
        return 1
    try:
        samples = check(text.split("\n")[:-1] if text else [])
    except Bad as why:
        print(f"metrics-check: {why}")
        return 1
    for _, _, _, value, key in samples:
        whole = math.isfinite(value) and value == int(value)
        print(key, int(value) if whole else repr(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
