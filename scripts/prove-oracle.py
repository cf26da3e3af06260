#!/usr/bin/env python3
"""An independent oracle for `perimeter prove`: cvc5 (string theory with regular
expressions, integers and reals) decides the same questions on randomly generated
policies, and every answer of the prover is compared with it.

    target/venv/bin/python scripts/prove-oracle.py [--cases N] [--seed S] [--bin PATH] [--jobs J]

Questions: `no-new-access OLD NEW` on pairs of identity policies, `access-not-granted`
on single identity policies, and `no-public-access` on resource policies. For each case
the prover's pass/fail must match cvc5's unsat/sat; a prover witness must also satisfy
cvc5's formula with every request value fixed to the witness's. A query cvc5 does not
answer within 4 seconds is counted (solver-unknown) and not compared. Exit 1 on any
disagreement (the case's files are kept and printed), 0 otherwise; prints how many
cases ran, how many the prover answered unknown and how many cvc5 gave up on.

The generator (see `Gen`): 1-3 statements per policy, Allow or Deny; Action or
NotAction with globs over a small alphabet (overlaps and case folding are common);
Resource or NotResource with ARN patterns whose fields carry wildcards (field-wise ArnLike
matching, colons in the resource part); conditions with StringEquals, StringNotEquals,
StringLike, StringNotLike, StringEqualsIgnoreCase, Bool, ArnLike, ArnNotLike, their
IfExists forms, ForAnyValue:/ForAllValues: on a multivalued key, Null, NumericLessThan,
NumericGreaterThanEquals, NumericEquals, IpAddress and NotIpAddress (IPv4), and
aws:PrincipalArn conditions; resource policies with Principal "*", account ids, root
ARNs and role ARNs (whose sessions match), and NotPrincipal.

The encoding is written from AWS's documented semantics, not from the prover: globs as
regular-expression membership, ARNs as six fields joined by colons (str.++ of fresh
variables), multivalued keys as a bounded set of optional values (one more than the
number of set conditions on the key: enough for every existential), numbers as reals,
IPv4 addresses as integers.
"""

import argparse
import ipaddress
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

import cvc5
from cvc5 import Kind

ACCOUNTS = ["111122223333", "444455556666"]
# The generator compares each key in one value family.
FAMILY = {"k:n": "num", "aws:sourceip": "ip"}


class Gen:
    def __init__(self, rnd):
        self.r = rnd

    def word(self, alphabet, lo, hi):
        return "".join(self.r.choice(alphabet) for _ in range(self.r.randint(lo, hi)))

    def action(self):
        if self.r.random() < 0.08:
            return "*"
        svc = self.r.choice(["s3", "ec2"])
        return svc + ":" + (self.word("abB*?", 1, 3) or "a")

    def arn(self):
        if self.r.random() < 0.1:
            return "*"
        kind = self.r.random()
        if kind < 0.5:
            return "arn:aws:s3:::" + (self.word("ab*?/:", 1, 4) or "a")
        acct = self.r.choice(ACCOUNTS + ["*", "1*"])
        return "arn:aws:sqs:" + self.r.choice(["us-east-1", "*", "us-*"]) + ":" + acct + ":" + (self.word("ab*", 1, 3) or "a")

    def condition(self, multi_key):
        r = self.r
        c = {}
        for _ in range(r.randint(1, 2)):
            kind = r.random()
            if kind < 0.35:
                op = r.choice(["StringEquals", "StringNotEquals", "StringLike", "StringNotLike",
                               "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"])
                if r.random() < 0.25:
                    op += "IfExists"
                key = r.choice(["k:a", "k:b"])
                vals = [self.word("abA*", 0, 3) for _ in range(r.randint(1, 2))]
                if "Like" not in op:
                    vals = [v.replace("*", "b") for v in vals]
            elif kind < 0.5:
                op = r.choice(["ForAnyValue:StringEquals", "ForAllValues:StringEquals",
                               "ForAnyValue:StringLike", "ForAllValues:StringNotLike",
                               "ForAnyValue:StringNotEquals", "StringEquals"])
                key = multi_key
                vals = [self.word("ab*", 1, 2) for _ in range(r.randint(1, 2))]
                if "Like" not in op:
                    vals = [v.replace("*", "b") for v in vals]
            elif kind < 0.58:
                op, key, vals = "Null", r.choice(["k:a", "k:b", "k:n"]), [r.choice(["true", "false"])]
            elif kind < 0.66:
                op = r.choice(["Bool", "BoolIfExists"])
                key, vals = "k:bool", [r.choice(["true", "false", "TRUE"])]
            elif kind < 0.78:
                op = r.choice(["NumericLessThan", "NumericGreaterThanEquals", "NumericEquals",
                               "NumericNotEquals"])
                key = "k:n"
                vals = [r.choice(["0", "1", "2", "2.5", "-1"]) for _ in range(r.randint(1, 2))]
            elif kind < 0.88:
                op = r.choice(["IpAddress", "NotIpAddress"])
                key = "aws:SourceIp"
                vals = [r.choice(["10.0.0.0/8", "10.0.0.0/9", "10.128.0.0/9", "10.1.2.3", "192.168.0.0/16"])
                        for _ in range(r.randint(1, 2))]
            else:
                op = r.choice(["ArnLike", "ArnNotLike", "StringLike", "StringEquals"])
                key = "aws:PrincipalArn"
                acct = r.choice(ACCOUNTS + ["*"])
                vals = ["arn:aws:iam::" + acct + ":role/" + self.word("ab*", 1, 2)]
                if op == "StringEquals":
                    vals = [v.replace("*", "a") for v in vals]
            c.setdefault(op, {})[key] = vals if len(vals) != 1 or r.random() < 0.5 else vals[0]
        return c

    def principal(self):
        r = self.r
        if r.random() < 0.3:
            return "*"
        ids = []
        for _ in range(r.randint(1, 2)):
            a = r.choice(ACCOUNTS)
            ids.append(r.choice([a, "arn:aws:iam::" + a + ":root", "arn:aws:iam::" + a + ":role/" + self.word("ab", 1, 2)]))
        return {"AWS": ids if len(ids) > 1 else ids[0]}

    def policy(self, resource_policy=False):
        r = self.r
        stmts = []
        multi_key = "k:m"
        for _ in range(r.randint(1, 3)):
            s = {"Effect": "Allow" if r.random() < 0.65 else "Deny"}
            acts = [self.action() for _ in range(r.randint(1, 2))]
            s["NotAction" if r.random() < 0.2 else "Action"] = acts if len(acts) > 1 else acts[0]
            if r.random() < 0.9:
                res = [self.arn() for _ in range(r.randint(1, 2))]
                s["NotResource" if r.random() < 0.15 else "Resource"] = res if len(res) > 1 else res[0]
            if resource_policy:
                s["NotPrincipal" if r.random() < 0.1 else "Principal"] = self.principal()
            if r.random() < 0.6:
                s["Condition"] = self.condition(multi_key)
            stmts.append(s)
        return {"Version": "2012-10-17", "Statement": stmts}


def listify(v):
    return v if isinstance(v, list) else [v]


class Smt:
    """The policies' semantics as cvc5 formulas over one symbolic request."""

    def __init__(self, multi_count, structured_principal=False):
        tm = cvc5.TermManager()
        s = cvc5.Solver(tm)
        s.setOption("produce-models", "true")
        s.setOption("tlimit-per", "4000")
        s.setLogic("ALL")
        self.tm, self.s = tm, s
        S = tm.getStringSort()
        self.action = tm.mkConst(S, "action")
        self.resource = tm.mkConst(S, "resource")
        self.principal = tm.mkConst(S, "principal")
        self.keys = {}  # lower-case key -> (present flags, value terms, kind)
        self.pfields = None
        if structured_principal:
            # The principal as six fields (the first five colon-free): the only shape an
            # outside principal (an ARN with an account) can have.
            fs = [tm.mkConst(S, f"pfield{i}") for i in range(6)]
            colon = tm.mkString(":")
            for f in fs[:5]:
                s.assertFormula(tm.mkTerm(Kind.NOT, tm.mkTerm(Kind.STRING_CONTAINS, f, colon)))
            parts = []
            for f in fs:
                parts += [f, colon]
            s.assertFormula(tm.mkTerm(Kind.EQUAL, self.principal, tm.mkTerm(Kind.STRING_CONCAT, *parts[:-1])))
            self.pfields = fs
        self.multi_count = multi_count
        self.allchar = tm.mkTerm(Kind.REGEXP_ALLCHAR)
        self.all = tm.mkTerm(Kind.REGEXP_ALL)
        # Any character but a colon: the two ranges around it.
        self.nocolon = tm.mkTerm(Kind.REGEXP_UNION,
                                 tm.mkTerm(Kind.REGEXP_RANGE, tm.mkString("\\u{0}", True), tm.mkString("9")),
                                 tm.mkTerm(Kind.REGEXP_RANGE, tm.mkString(";"), tm.mkString("\\u{2ffff}", True)))

    # -- building blocks
    def t(self, k, *a):
        return self.tm.mkTerm(k, *a)

    def true(self):
        return self.tm.mkTrue()

    def false(self):
        return self.tm.mkFalse()

    def any(self, xs):
        xs = list(xs)
        return self.false() if not xs else xs[0] if len(xs) == 1 else self.t(Kind.OR, *xs)

    def all_(self, xs):
        xs = list(xs)
        return self.true() if not xs else xs[0] if len(xs) == 1 else self.t(Kind.AND, *xs)

    def lit_re(self, s):
        return self.t(Kind.STRING_TO_REGEXP, self.tm.mkString(s, True))

    def concat_re(self, parts):
        parts = [p for p in parts]
        if not parts:
            return self.lit_re("")
        return parts[0] if len(parts) == 1 else self.t(Kind.REGEXP_CONCAT, *parts)

    def char_re(self, c, fold):
        if fold and c.isascii() and c.isalpha():
            alts = {c.lower(), c.upper()}
            if fold == "lower" and c.lower() == "k":
                alts.add("\u212a")
            return self.t(Kind.REGEXP_UNION, *[self.lit_re(a) for a in sorted(alts)]) if len(alts) > 1 else self.lit_re(c)
        return self.lit_re(c)

    def glob_re(self, p, fold=None, colon=True):
        parts = []
        for c in p:
            if c == "*":
                parts.append(self.all if colon else self.t(Kind.REGEXP_STAR, self.nocolon))
            elif c == "?":
                parts.append(self.allchar if colon else self.nocolon)
            else:
                parts.append(self.char_re(c, fold))
        return self.concat_re(parts)

    def exact_re(self, s, fold):
        return self.concat_re([self.char_re(c, fold) for c in s])

    def in_re(self, x, re):
        return self.t(Kind.STRING_IN_REGEXP, x, re)

    def arn_like(self, pattern, x):
        """ArnLike: six fields, each matched by its own glob (fields 0-4 hold no colon)."""
        if pattern == "*":
            return self.true()
        parts = pattern.split(":", 5)
        if len(parts) != 6:
            return self.false()
        regs = []
        for i, part in enumerate(parts):
            regs.append(self.glob_re(part, colon=(i == 5)))
            if i < 5:
                regs.append(self.lit_re(":"))
        return self.in_re(x, self.concat_re(regs))

    def colons(self, x):
        """The indexes of x's first five colons (-1 from the first missing one on)."""
        tm = self.tm
        cache = self.__dict__.setdefault("_colons", {})
        if x not in cache:
            colon, minus = tm.mkString(":"), tm.mkInteger(-1)
            idx = [self.t(Kind.STRING_INDEXOF, x, colon, tm.mkInteger(0))]
            for _ in range(4):
                prev = idx[-1]
                idx.append(self.t(Kind.ITE, self.t(Kind.EQUAL, prev, minus), minus,
                                  self.t(Kind.STRING_INDEXOF, x, colon, self.t(Kind.ADD, prev, tm.mkInteger(1)))))
            cache[x] = idx
        return cache[x]

    def field(self, x, k):
        """x.split(':')[k] for k < 5, "" when x has fewer fields."""
        tm = self.tm
        i, minus = self.colons(x), tm.mkInteger(-1)
        start = tm.mkInteger(0) if k == 0 else self.t(Kind.ADD, i[k - 1], tm.mkInteger(1))
        end = self.t(Kind.ITE, self.t(Kind.EQUAL, i[k], minus), self.t(Kind.STRING_LENGTH, x), i[k])
        text = self.t(Kind.STRING_SUBSTR, x, start, self.t(Kind.SUB, end, start))
        if k == 0:
            return text
        return self.t(Kind.ITE, self.t(Kind.EQUAL, i[k - 1], minus), tm.mkString(""), text)

    def field4(self, x, value):
        """The account field (x.split(':')[4]) is value."""
        if x is self.principal and self.pfields:
            return self.t(Kind.EQUAL, self.pfields[4], self.tm.mkString(value))
        return self.t(Kind.EQUAL, self.field(x, 4), self.tm.mkString(value))

    def session_role(self, x, role):
        """x is a session of role: its fields read as sts, assumed-role/NAME[/...], and
        arn:PARTITION:iam::ACCOUNT:role/NAME is the role."""
        tm = self.tm
        if x is self.principal and self.pfields:
            parts = role.split(":", 5)
            if not (len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[3] == ""
                    and parts[5].startswith("role/") and "/" not in parts[5][5:]):
                return self.false()
            f = self.pfields
            head = "assumed-role/" + parts[5][5:]
            return self.all_([self.t(Kind.EQUAL, f[1], tm.mkString(parts[1])),
                              self.t(Kind.EQUAL, f[2], tm.mkString("sts")),
                              self.t(Kind.EQUAL, f[4], tm.mkString(parts[4])),
                              self.t(Kind.OR, self.t(Kind.EQUAL, f[5], tm.mkString(head)),
                                     self.t(Kind.STRING_PREFIX, tm.mkString(head + "/"), f[5]))])
        i = self.colons(x)
        minus = tm.mkInteger(-1)
        rest_start = self.t(Kind.ADD, i[4], tm.mkInteger(1))
        rest = self.t(Kind.STRING_SUBSTR, x, rest_start, self.t(Kind.SUB, self.t(Kind.STRING_LENGTH, x), rest_start))
        prefix = "assumed-role/"
        after = self.t(Kind.STRING_SUBSTR, rest, tm.mkInteger(len(prefix)),
                       self.t(Kind.SUB, self.t(Kind.STRING_LENGTH, rest), tm.mkInteger(len(prefix))))
        slash = self.t(Kind.STRING_INDEXOF, after, tm.mkString("/"), tm.mkInteger(0))
        name = self.t(Kind.ITE, self.t(Kind.EQUAL, slash, minus), after,
                      self.t(Kind.STRING_SUBSTR, after, tm.mkInteger(0), slash))
        made = self.t(Kind.STRING_CONCAT, tm.mkString("arn:"), self.field(x, 1), tm.mkString(":iam::"),
                      self.field(x, 4), tm.mkString(":role/"), name)
        return self.all_([self.t(Kind.NOT, self.t(Kind.EQUAL, i[4], minus)),
                          self.t(Kind.EQUAL, self.field(x, 2), tm.mkString("sts")),
                          self.t(Kind.STRING_PREFIX, tm.mkString(prefix), rest),
                          self.t(Kind.EQUAL, made, tm.mkString(role))])

    # -- the request's context
    def key(self, name, family):
        """A context key's slots: (present flag, value) per value it may carry. A value
        is a string, or for numeric keys (is a number, real), for IP keys (is IPv4, int)."""
        k = name.lower()
        if k not in self.keys:
            n = self.multi_count.get(k, 0)
            slots = n + 1 if n else 1
            tm = self.tm
            B = tm.getBooleanSort()
            flags = [tm.mkConst(B, f"{k}.present{i}") for i in range(slots)]
            if family == "num":
                vals = [(tm.mkConst(B, f"{k}.isnum{i}"), tm.mkConst(tm.getRealSort(), f"{k}.num{i}"))
                        for i in range(slots)]
            elif family == "ip":
                vals = []
                for i in range(slots):
                    x = tm.mkConst(tm.getIntegerSort(), f"{k}.ip{i}")
                    self.s.assertFormula(self.t(Kind.AND, self.t(Kind.GEQ, x, tm.mkInteger(0)),
                                                self.t(Kind.LT, x, tm.mkInteger(str(1 << 32)))))
                    vals.append((tm.mkConst(B, f"{k}.isv4{i}"), x))
            else:
                vals = [tm.mkConst(tm.getStringSort(), f"{k}.value{i}") for i in range(slots)]
            self.keys[k] = (flags, vals, family)
        return self.keys[k]

    def positive(self, base, v, p):
        """One request value v matches policy value p under the base operator."""
        tm = self.tm
        if base in ("StringEquals", "StringNotEquals"):
            return self.t(Kind.EQUAL, v, tm.mkString(p, True))
        if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
            return self.in_re(v, self.exact_re(p, "lower"))
        if base in ("StringLike", "StringNotLike"):
            return self.in_re(v, self.glob_re(p))
        if base == "Bool":
            return self.in_re(v, self.exact_re(p, "ascii"))
        if base in ("ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"):
            return self.arn_like(p, v)
        if base.startswith("Numeric"):
            isnum, x = v
            cmp = {"NumericLessThan": Kind.LT, "NumericGreaterThanEquals": Kind.GEQ,
                   "NumericEquals": Kind.EQUAL, "NumericNotEquals": Kind.EQUAL}[base]
            return self.t(Kind.AND, isnum, self.t(cmp, x, tm.mkReal(p)))
        if base in ("IpAddress", "NotIpAddress"):
            isv4, x = v
            net = ipaddress.ip_network(p, strict=False)
            lo, hi = int(net.network_address), int(net.broadcast_address)
            return self.all_([isv4, self.t(Kind.GEQ, x, tm.mkInteger(str(lo))), self.t(Kind.LEQ, x, tm.mkInteger(str(hi)))])
        raise ValueError(base)

    def condition(self, op, key, vals):
        tm = self.tm
        set_q = None
        if op.startswith("ForAnyValue:"):
            set_q, op = "any", op[len("ForAnyValue:"):]
        elif op.startswith("ForAllValues:"):
            set_q, op = "all", op[len("ForAllValues:"):]
        if_exists = op.endswith("IfExists")
        base = op[: -len("IfExists")] if if_exists else op
        vals = listify(vals)
        if key.lower() == "aws:principalarn":
            flags, values = [self.true()], [self.principal]
        else:
            flags, values, _ = self.key(key, FAMILY.get(key.lower(), "str"))
        present = self.any(flags)
        if base == "Null":
            return self.any([present if v.lower() != "true" else self.t(Kind.NOT, present) for v in vals])
        negated = base in ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike",
                           "NumericNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike")
        if if_exists:
            absent = self.true()
        elif set_q == "all":
            absent = self.true()
        elif set_q == "any":
            absent = self.false()
        else:
            absent = self.true() if negated else self.false()
        hit = [self.any([self.positive(base, v, p) for p in vals]) for v in values]
        pairs = list(zip(flags, hit))
        if set_q == "all" and not negated:
            when = self.all_([self.t(Kind.IMPLIES, f, h) for f, h in pairs])
        elif set_q == "all" and negated:
            when = self.t(Kind.NOT, self.any([self.t(Kind.AND, f, h) for f, h in pairs]))
        elif set_q == "any" and negated:
            when = self.any([self.t(Kind.AND, f, self.t(Kind.NOT, h)) for f, h in pairs])
        elif not negated:
            when = self.any([self.t(Kind.AND, f, h) for f, h in pairs])
        else:
            when = self.t(Kind.NOT, self.any([self.t(Kind.AND, f, h) for f, h in pairs]))
        return self.t(Kind.ITE, present, when, absent)

    def principal_matches(self, p):
        tm = self.tm
        if p == "*":
            return self.true()
        conds = []
        for ident in listify(p.get("AWS", [])):
            if ident == "*":
                conds.append(self.true())
                continue
            conds.append(self.t(Kind.EQUAL, self.principal, tm.mkString(ident)))
            conds.append(self.field4(self.principal, ident))
            if ident.startswith("arn:aws:iam::") and ident.endswith(":root"):
                conds.append(self.field4(self.principal, ident[len("arn:aws:iam::"):-len(":root")]))
            conds.append(self.session_role(self.principal, ident))
        return self.any(conds)

    def applies(self, s, resource_policy):
        tm = self.tm
        acts = listify(s.get("Action", s.get("NotAction")))
        hit = self.any([self.in_re(self.action, self.glob_re(a, "ascii")) for a in acts])
        parts = [self.t(Kind.NOT, hit) if "NotAction" in s else hit]
        if "Resource" in s or "NotResource" in s:
            rs = listify(s.get("Resource", s.get("NotResource")))
            rh = self.any([self.arn_like(r, self.resource) for r in rs])
            parts.append(self.t(Kind.NOT, rh) if "NotResource" in s else rh)
        if resource_policy:
            if "Principal" in s:
                parts.append(self.principal_matches(s["Principal"]))
            elif "NotPrincipal" in s:
                parts.append(self.t(Kind.NOT, self.principal_matches(s["NotPrincipal"])))
            else:
                parts.append(self.false())
        for op, keys in s.get("Condition", {}).items():
            for k, v in keys.items():
                parts.append(self.condition(op, k, v))
        return self.all_(parts)

    def allows(self, policy, resource_policy=False):
        st = policy["Statement"]
        allow = self.any([self.applies(s, resource_policy) for s in st if s["Effect"] == "Allow"])
        deny = self.any([self.applies(s, resource_policy) for s in st if s["Effect"] == "Deny"])
        return self.t(Kind.AND, allow, self.t(Kind.NOT, deny))

    def fix(self, witness):
        """Constraints fixing the request to a witness's values."""
        tm = self.tm
        eqs = [self.t(Kind.EQUAL, self.action, tm.mkString(witness["action"], True)),
               self.t(Kind.EQUAL, self.resource, tm.mkString(witness["resource"], True)),
               self.t(Kind.EQUAL, self.principal, tm.mkString(witness["principal"], True))]
        ctx = {k.lower(): listify(v) for k, v in witness.get("context", {}).items()}
        for k, (flags, vals, family) in self.keys.items():
            got = ctx.get(k)
            if got is None:
                eqs += [self.t(Kind.NOT, f) for f in flags]
                continue
            if len(got) > len(flags):
                return None
            for i, (f, v) in enumerate(zip(flags, vals)):
                if i >= len(got):
                    eqs.append(self.t(Kind.NOT, f))
                    continue
                eqs.append(f)
                if family == "str":
                    eqs.append(self.t(Kind.EQUAL, v, tm.mkString(got[i], True)))
                elif family == "num":
                    try:
                        x = Fraction(got[i])
                        eqs += [v[0], self.t(Kind.EQUAL, v[1], tm.mkReal(x.numerator, x.denominator))]
                    except ValueError:
                        eqs.append(self.t(Kind.NOT, v[0]))
                else:
                    try:
                        a = ipaddress.ip_address(got[i])
                        if a.version == 4:
                            eqs += [v[0], self.t(Kind.EQUAL, v[1], tm.mkInteger(str(int(a))))]
                        else:
                            eqs.append(self.t(Kind.NOT, v[0]))
                    except ValueError:
                        eqs.append(self.t(Kind.NOT, v[0]))
        return self.all_(eqs)

    def check(self, formula, fixed=None):
        self.s.push()
        self.s.assertFormula(formula)
        if fixed is not None:
            self.s.assertFormula(fixed)
        r = self.s.checkSat()
        self.s.pop()
        if r.isSat():
            return "sat"
        if r.isUnsat():
            return "unsat"
        return "unknown"


def set_counts(*policies):
    counts = {}
    for p in policies:
        for s in p["Statement"]:
            for op, keys in s.get("Condition", {}).items():
                for k in keys:
                    if op.startswith("For"):
                        counts[k.lower()] = counts.get(k.lower(), 0) + 1
    # Plain conditions on a multivalued key are existentials too.
    for p in policies:
        for s in p["Statement"]:
            for op, keys in s.get("Condition", {}).items():
                for k in keys:
                    if not op.startswith("For") and k.lower() in counts:
                        counts[k.lower()] += 1
    return counts


def run_prover(binary, args):
    out = subprocess.run([binary, "prove", *args, "--format", "json"], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        return {"result": "error", "explanation": out.stderr.strip()}
    return json.loads(out.stdout)


def generate(seed, n):
    """The cases, from the seed alone (the same on every machine)."""
    rnd = random.Random(seed)
    gen = Gen(rnd)
    cases = []
    for i in range(n):
        kind = ["no-new-access", "access-not-granted", "no-public-access"][i % 3]
        if kind == "no-new-access":
            old = gen.policy()
            new = gen.policy() if rnd.random() < 0.5 else mutate(gen, old)
            cases.append((i, kind, {"old": old, "new": new}, {}))
        elif kind == "access-not-granted":
            asked = [gen.action() for _ in range(rnd.randint(1, 2))]
            cases.append((i, kind, {"policy": gen.policy()}, {"actions": asked}))
        else:
            trusted = rnd.choice([[], [ACCOUNTS[0]]])
            cases.append((i, kind, {"policy": gen.policy(resource_policy=True)}, {"trusted": trusted}))
    return cases


def run_case(job):
    """Runs one case through the prover and cvc5; returns (kind, verdicts, problem)."""
    (i, kind, files, extra), binary, tmp = job
    paths = {}
    for name, doc in files.items():
        paths[name] = os.path.join(tmp, f"{i}-{name}.json")
        with open(paths[name], "w") as f:
            json.dump(doc, f)
    if kind == "no-new-access":
        old, new = files["old"], files["new"]
        args = ["no-new-access", paths["old"], paths["new"]]
        smt = Smt(set_counts(old, new))
        formula = smt.t(Kind.AND, smt.allows(new), smt.t(Kind.NOT, smt.allows(old)))
    elif kind == "access-not-granted":
        p, asked = files["policy"], extra["actions"]
        args = ["access-not-granted", paths["policy"], "--action", *asked]
        smt = Smt(set_counts(p))
        formula = smt.t(Kind.AND, smt.allows(p),
                        smt.any([smt.in_re(smt.action, smt.glob_re(x, "ascii")) for x in asked]))
    else:
        p, trusted = files["policy"], extra["trusted"]
        args = ["no-public-access", paths["policy"], "--resource-type", "AWS::EC2::VPCEndpoint"]
        for t in trusted:
            args += ["--account", t]
        smt = Smt(set_counts(p), structured_principal=True)
        # Outside: an ARN principal whose account field is neither empty nor trusted.
        outside = smt.all_([smt.arn_like("arn:*:*:*:*:*", smt.principal),
                            smt.t(Kind.NOT, smt.field4(smt.principal, ""))]
                           + [smt.t(Kind.NOT, smt.field4(smt.principal, t)) for t in trusted])
        formula = smt.t(Kind.AND, smt.allows(p, resource_policy=True), outside)
    t0 = time.time()
    got = run_prover(binary, args)
    t1 = time.time()
    want = smt.check(formula)
    t2 = time.time()
    times = (t1 - t0, t2 - t1)
    if want == "unknown":
        return kind, "solver-unknown", times, None
    if got["result"] == "unknown":
        return kind, "prover-unknown", times, {"unknown": got["explanation"]}
    ok = got["result"] in ("pass", "fail") and (got["result"] == "pass") == (want == "unsat")
    if ok and got["result"] == "fail":
        fixed = smt.fix(got["witness"])
        if fixed is None or smt.check(formula, fixed) != "sat":
            ok = False
            got["explanation"] += " (cvc5 rejects the witness)"
    problem = None if ok else {"case": i, "args": args, "files": files, "prover": got, "cvc5": want}
    return kind, got["result"], times, problem


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=int(os.environ.get("PROVE_ORACLE_CASES", "2000")))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bin", default="target/debug/perimeter")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    tally = {"cases": 0, "pass": 0, "fail": 0, "prover-unknown": 0, "solver-unknown": 0,
             "no-new-access": 0, "access-not-granted": 0, "no-public-access": 0,
             "prover-seconds": 0.0, "solver-seconds": 0.0}
    bad = []
    unknown = {}
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(c, binary, tmp) for c in generate(a.seed, a.cases)]
        with multiprocessing.Pool(a.jobs) as pool:
            for kind, result, (tp, ts), problem in pool.imap(run_case, jobs, chunksize=4):
                tally["cases"] += 1
                tally[kind] += 1
                tally[result] = tally.get(result, 0) + 1
                tally["prover-seconds"] += tp
                tally["solver-seconds"] += ts
                if problem and "unknown" in problem:
                    # Why the prover did not decide, by the reason's kind.
                    why = problem["unknown"].split(": ")[-1]
                    if os.environ.get("PROVE_ORACLE_VERBOSE"):
                        print("unknown:", why, flush=True)
                    why = " ".join(w for w in why.split() if not w.startswith(('"', "/", "{")))[:90]
                    unknown[why] = unknown.get(why, 0) + 1
                elif problem:
                    bad.append(problem)
                if tally["cases"] % 100 == 0:
                    print(f"prove-oracle: {tally['cases']} cases, {len(bad)} disagreements", flush=True)
    tally["prover-seconds"] = round(tally["prover-seconds"], 1)
    tally["solver-seconds"] = round(tally["solver-seconds"], 1)
    print("prove-oracle:", json.dumps(tally, sort_keys=True))
    for why, n in sorted(unknown.items(), key=lambda x: -x[1]):
        print(f"prove-oracle: unknown x{n}: {why}")
    for b in bad[:5]:
        print("DISAGREEMENT:", json.dumps(b, indent=1))
    if bad:
        print(f"prove-oracle: {len(bad)} disagreements")
    return 1 if bad else 0


def mutate(gen, p):
    """A small change of a policy: most pairs then differ in one place."""
    q = json.loads(json.dumps(p))
    s = gen.r.choice(q["Statement"])
    what = gen.r.random()
    if what < 0.3:
        key = "Action" if "Action" in s else "NotAction"
        s[key] = gen.action()
    elif what < 0.55:
        s["Resource"] = gen.arn()
        s.pop("NotResource", None)
    elif what < 0.8:
        s["Condition"] = gen.condition("k:m")
    else:
        s["Effect"] = "Deny" if s["Effect"] == "Allow" else "Allow"
    return q


if __name__ == "__main__":
    sys.exit(main())
