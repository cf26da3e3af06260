#!/usr/bin/env python3
"""An independent oracle for `perimeter prove`: cvc5 (string theory with regular
expressions, integers and reals) decides the same questions on randomly generated
policies, and every answer of the prover is compared with it.

    target/venv/bin/python scripts/prove-oracle.py [--cases N] [--seed S] [--bin PATH] [--jobs J]
        [--max-prover-unknown SHARE] [--max-solver-unknown SHARE]

Questions: `no-new-access OLD NEW` on pairs of identity policies (half of them a policy
and a small mutation of it), `access-not-granted` on single identity policies, and
`no-public-access` on resource policies (no account trusted, or one). The prover answers
them all through `perimeter prove batch` (one process per job); for each case its
pass/fail must match cvc5's unsat/sat, and a prover witness must also satisfy cvc5's
formula with every request value fixed to the witness's. A query cvc5 does not answer
within PROVE_ORACLE_SOLVER_MS (2000) is counted (solver-unknown) and not compared. Exit 1
on any disagreement (the first five are printed), or when the share of cases either side
left undecided passes its bound; prints how many cases ran, passed, failed and were
undecided, and why the prover did not decide.

The generator (see `Gen`): 1-3 statements per policy, Allow or Deny; Action or
NotAction with globs of S3's and SQS's actions: half over a small alphabet (overlaps and
case folding are common), half made from the IAM catalog's real names (the name, a
prefix of it with `*`, a `?` in it, `*` and a suffix; in any case);
Resource or NotResource with ARN patterns whose fields carry wildcards (field-wise ArnLike
matching, colons in the resource part, accounts named and not); conditions with
StringEquals, StringNotEquals, StringLike, StringNotLike, StringEqualsIgnoreCase,
StringNotEqualsIgnoreCase, Bool, ArnLike, ArnNotLike, their IfExists forms,
ForAnyValue:/ForAllValues: on a multivalued key, Null, NumericLessThan,
NumericGreaterThanEquals, NumericEquals, NumericNotEquals, IpAddress and NotIpAddress
(IPv4), conditions on the caller's aws:PrincipalArn and aws:PrincipalAccount, and on
aws:SourceAccount and aws:SourceArn (what pins a service principal); missing keys
throughout; resource policies with Principal "*", account ids, root ARNs, role ARNs with
and without a path (whose sessions they name), user ARNs, session ARNs and service
principals, and NotPrincipal with Allow and Deny.

Actions: a request's action is `prefix:Name` (both non-empty, no colon), any such string,
since AWS adds actions the policies' globs already cover; actions compare without regard
to case, so cvc5 seeks one without A-Z against lower-cased patterns (see `Smt.check`). Where the prover refutes, a
second query asks cvc5 whether some action the IAM catalog knows (S3's and SQS's, read
from data/iam-catalog.json, and one other service's standing for the rest, which no
generated pattern tells apart) also fails: the prover's witness must name a known action
exactly when one does (it represents each class by a known action when the class holds
one, and tries those first).

The encoding is written from AWS's documented semantics, not from the prover: globs as
regular-expression membership, ARNs as six fields joined by colons; the caller as IAM
describes it (a kind: root user, user, role, role session, federated user; one of AWS's
partitions; a 12-digit account; names), whose aws:PrincipalArn is its ARN but for a
session, its role's; a Principal naming an account, a user, a role (its sessions) or a
session; NotPrincipal with Deny sparing a caller only when its account is listed too;
identity policies asked of users, sessions and federated users, resource policies of
every caller, AWS services (no account; outside unless aws:SourceAccount or the account
of aws:SourceArn is trusted) and anonymous callers (outside) included; multivalued keys as a
bounded set of optional values (one more than the number of set conditions on the key:
enough for every existential), numbers as reals, IPv4 addresses as integers.
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
PARTITIONS = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"]
KINDS = ["root", "user", "role", "session", "fed", "service", "anonymous"]
IAM_KINDS = ["root", "user", "role", "session", "fed"]
# Identity policies are attached to users, roles (whose sessions make requests) and
# federated users; a resource policy hears every caller, AWS services and anonymous
# callers included.
IDENTITY_CALLERS = ["user", "session", "fed"]
ANY_CALLER = KINDS
# The services whose actions the generator's patterns name; every pattern is `*` or has
# one of these prefixes, so every other service's actions are alike to every policy and
# STAND_IN stands for them (the prover's reading too: src/iam/prove/actions.rs).
SERVICES = ["s3", "sqs"]
STAND_IN = "ec2:RunInstances"


def read_catalog(path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "iam-catalog.json")):
    """The IAM catalog's actions by prefix, read from the data file (one service a line)."""
    out = {}
    with open(path) as f:
        lines = f.read().split("\n")
    for line in lines[1:]:
        line = line.rstrip(",")
        if not line or line == "}}":
            continue
        prefix, _, body = line.partition('":')
        out[prefix[1:].lower()] = [prefix[1:] + ":" + a for a in json.loads(body)["actions"]]
    return out


CATALOG = read_catalog()
KNOWN = {a.lower() for acts in CATALOG.values() for a in acts}
assert STAND_IN.lower() in KNOWN and STAND_IN.split(":")[0] not in SERVICES
# cvc5's time per query, milliseconds; a query it does not answer in time is counted.
SOLVER_MS = int(os.environ.get("PROVE_ORACLE_SOLVER_MS", "2000"))
CVC5_OPTIONS = [tuple(o.split("=", 1)) for o in os.environ.get("PROVE_ORACLE_CVC5", "").split()]
# The generator compares each key in one value family.
FAMILY = {"k:n": "num", "aws:sourceip": "ip"}


class Gen:
    def __init__(self, rnd):
        self.r = rnd

    def word(self, alphabet, lo, hi):
        return "".join(self.r.choice(alphabet) for _ in range(self.r.randint(lo, hi)))

    def action(self):
        r = self.r
        if r.random() < 0.08:
            return "*"
        svc = r.choice(SERVICES)
        if r.random() < 0.5:
            return svc + ":" + (self.word("abB*?", 1, 3) or "a")
        # From a real action's name: itself, a prefix of it with `*`, a `?` in it, or a
        # suffix after `*`; in any case.
        name = r.choice(CATALOG[svc]).split(":", 1)[1]
        how = r.random()
        if how < 0.25:
            pass
        elif how < 0.6:
            name = name[: r.randint(1, min(6, len(name)))] + "*"
        elif how < 0.8:
            i = r.randrange(len(name))
            name = name[:i] + "?" + name[i + 1:]
        else:
            name = "*" + name[-r.randint(1, min(6, len(name))):]
        if r.random() < 0.3:
            name = name.lower()
        return svc + ":" + name

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
            elif kind < 0.91:
                # The keys that pin a service principal to the account it acts for.
                if r.random() < 0.5:
                    op = r.choice(["StringEquals", "StringNotEquals", "StringEqualsIfExists"])
                    key, vals = "aws:SourceAccount", [r.choice(ACCOUNTS)]
                else:
                    op = r.choice(["ArnLike", "ArnNotLike", "ArnLikeIfExists"])
                    key = "aws:SourceArn"
                    vals = ["arn:aws:sns:" + r.choice(["*", "us-east-1"]) + ":" + r.choice(ACCOUNTS + ["*"]) + ":" + self.word("ab*", 1, 2)]
            elif kind < 0.95:
                op = r.choice(["StringEquals", "StringNotEquals", "StringLike", "StringNotEqualsIfExists"])
                key = "aws:PrincipalAccount"
                vals = [r.choice(ACCOUNTS + ["1111*", "*"]) for _ in range(r.randint(1, 2))]
                if "Like" not in op:
                    vals = [v.replace("*", "2") for v in vals]
            else:
                op = r.choice(["ArnLike", "ArnNotLike", "StringLike", "StringEquals"])
                key = "aws:PrincipalArn"
                acct = r.choice(ACCOUNTS + ["*"])
                vals = ["arn:aws:iam::" + acct + ":role/" + self.word("ab*", 1, 2)]
                if op == "StringEquals":
                    vals = [v.replace("*", "a") for v in vals]
            c.setdefault(op, {})[key] = vals if len(vals) != 1 or r.random() < 0.5 else vals[0]
        return c

    def principal(self, service=True):
        r = self.r
        if r.random() < 0.3:
            return "*"
        if service and r.random() < 0.2:
            return {"Service": r.choice(["sns.amazonaws.com", "events.amazonaws.com"])}
        ids = []
        for _ in range(r.randint(1, 2)):
            a = r.choice(ACCOUNTS)
            ids.append(r.choice([a, "arn:aws:iam::" + a + ":root", "arn:aws:iam::" + a + ":role/" + self.word("ab", 1, 2),
                                 "arn:aws:iam::" + a + ":role/p/" + self.word("ab", 1, 2),
                                 "arn:aws:iam::" + a + ":user/" + self.word("ab", 1, 2),
                                 "arn:aws:sts::" + a + ":assumed-role/" + self.word("ab", 1, 2) + "/s"]))
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
                if r.random() < 0.1:
                    s["NotPrincipal"] = self.principal(service=False)
                else:
                    s["Principal"] = self.principal()
            if r.random() < 0.6:
                s["Condition"] = self.condition(multi_key)
            stmts.append(s)
        return {"Version": "2012-10-17", "Statement": stmts}


def ascii_lower(s):
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in s)


def shaped(a):
    head, _, tail = a.partition(":")
    return bool(head) and bool(tail) and ":" not in tail and not any("A" <= c <= "Z" for c in a)


def repair(a):
    """An action of the shape without A-Z that every generated pattern (`*`, or a
    literal prefix and colon then globs without a colon) matches exactly when it
    matches `a`: lower case; a further colon made `~` (no pattern names it); no colon or
    no prefix (matched by `*` alone) made the stand-in. An empty name stays (the query
    is then asked with the constraint)."""
    a = ascii_lower(a)
    head, colon, tail = a.partition(":")
    if not colon or not head:
        return ascii_lower(STAND_IN)
    return head + ":" + tail.replace(":", "~")


def listify(v):
    return v if isinstance(v, list) else [v]


class Smt:
    """The policies' semantics as cvc5 formulas over one symbolic request."""

    def __init__(self, multi_count, kinds):
        tm = cvc5.TermManager()
        s = cvc5.Solver(tm)
        s.setOption("tlimit-per", str(SOLVER_MS))
        s.setOption("produce-models", "true")
        # Regular-expression memberships unfolded lazily: the same answers (either way
        # the solver is sound), and on these queries 2.6 times less CPU with fewer
        # time-outs (the first 300 cases: 11.2 s against 29.0 s, 0 unknown against 6).
        s.setOption("strings-eager-reg", "false")
        for k, v in CVC5_OPTIONS:
            s.setOption(k, v)
        s.setLogic("ALL")
        self.tm, self.s = tm, s
        S = tm.getStringSort()
        # Actions compare without regard to ASCII case (IAM User Guide, "IAM JSON policy
        # elements: Action": "case insensitive"), so an action decides as its ASCII
        # lower-case form does, and a request's action is `prefix:Name` (neither part
        # empty nor with a colon). The action is sought among such strings without A-Z,
        # against lower-cased patterns: see `check`, which adds that constraint only
        # when cvc5's first model breaks it (asserted up front, or through
        # str.to_lower, it left a third of the queries undecided).
        self.action = tm.mkConst(S, "action")
        self.laction = self.action
        self.resource = tm.mkConst(S, "resource")
        self.keys = {}  # lower-case key -> (present flags, value terms, kind)
        self.multi_count = multi_count
        self.allchar = tm.mkTerm(Kind.REGEXP_ALLCHAR)
        self.all = tm.mkTerm(Kind.REGEXP_ALL)
        # Any character but a colon: the two ranges around it.
        self.nocolon = tm.mkTerm(Kind.REGEXP_UNION,
                                 tm.mkTerm(Kind.REGEXP_RANGE, tm.mkString("\\u{0}", True), tm.mkString("9")),
                                 tm.mkTerm(Kind.REGEXP_RANGE, tm.mkString(";"), tm.mkString("\\u{2ffff}", True)))
        self.noslash = tm.mkTerm(Kind.REGEXP_UNION,
                                 tm.mkTerm(Kind.REGEXP_RANGE, tm.mkString("\\u{0}", True), tm.mkString(".")),
                                 tm.mkTerm(Kind.REGEXP_RANGE, tm.mkString("0"), tm.mkString("\\u{2ffff}", True)))
        self.caller(kinds)
        rng = lambda a, b: self.t(Kind.REGEXP_RANGE, tm.mkString(a, True), tm.mkString(b, True))
        part = self.t(Kind.REGEXP_PLUS, self.t(Kind.REGEXP_UNION, rng("\\u{0}", "9"), rng(";", "@"), rng("[", "\\u{2ffff}")))
        self.shaped = self.in_re(self.action, self.concat_re([part, self.lit_re(":"), part]))

    def real_action(self):
        """The action is one the catalog knows: of the generator's services, or the
        stand-in for every other service."""
        acts = [a for svc in SERVICES for a in CATALOG[svc]] + [STAND_IN]
        return self.in_re(self.laction, self.t(Kind.REGEXP_UNION, *[self.lit_re(ascii_lower(a)) for a in acts]))

    def caller(self, kinds):
        """The caller, as IAM's documentation describes its ARN: a kind (the account's
        root user, an IAM user, a role, a role's session, a federated user), a partition
        of AWS's, a 12-digit account, and names: a user's path and name (its last
        character no /), a role's name (no /), a session's name (non-empty). The
        principal of the request is its ARN; aws:PrincipalArn is that ARN but for a
        session, whose aws:PrincipalArn is its role's ARN."""
        tm, S = self.tm, self.tm.getStringSort()
        self.kind = tm.mkConst(tm.getIntegerSort(), "kind")
        self.part = tm.mkConst(S, "partition")
        self.acct = tm.mkConst(S, "account")
        self.name = tm.mkConst(S, "name")  # a user's path/name, a role's or federated user's name
        self.sess = tm.mkConst(S, "session")
        self.svc = tm.mkConst(S, "service")
        s = self.s
        s.assertFormula(self.any([self.is_kind(k) for k in kinds]))
        s.assertFormula(self.any([self.t(Kind.EQUAL, self.part, tm.mkString(p)) for p in PARTITIONS]))
        digit = self.t(Kind.REGEXP_RANGE, tm.mkString("0"), tm.mkString("9"))
        s.assertFormula(self.in_re(self.acct, self.concat_re([digit] * 12)))
        plus = lambda r: self.t(Kind.REGEXP_PLUS, r)
        s.assertFormula(self.t(Kind.IMPLIES, self.is_kind("user"),
                               self.in_re(self.name, self.concat_re([self.all, self.noslash]))))
        s.assertFormula(self.t(Kind.IMPLIES, self.any([self.is_kind("role"), self.is_kind("session")]),
                               self.in_re(self.name, plus(self.noslash))))
        s.assertFormula(self.t(Kind.IMPLIES, self.is_kind("session"), self.in_re(self.sess, plus(self.allchar))))
        # A service principal's name (`sns.amazonaws.com`).
        s.assertFormula(self.in_re(self.svc, self.concat_re([plus(self.allchar), self.lit_re(".amazonaws.com")])))
        cat = lambda *xs: self.t(Kind.STRING_CONCAT, *[tm.mkString(x) if isinstance(x, str) else x for x in xs])
        arn = lambda svc, rest: cat("arn:", self.part, f":{svc}::", self.acct, ":", *rest)
        self.role_arn = arn("iam", ["role/", self.name])
        forms = {
            "root": arn("iam", ["root"]),
            "user": arn("iam", ["user/", self.name]),
            "role": self.role_arn,
            "session": arn("sts", ["assumed-role/", self.name, "/", self.sess]),
            "fed": arn("sts", ["federated-user/", self.name]),
        }
        forms["service"] = self.svc
        forms["anonymous"] = tm.mkString("*")
        principal = forms["fed"]
        for k in ["root", "user", "role", "session", "service", "anonymous"]:
            principal = self.t(Kind.ITE, self.is_kind(k), forms[k], principal)
        self.principal = principal
        self.principal_arn = self.t(Kind.ITE, self.is_kind("session"), self.role_arn, principal)
        # Callers of an account (an IAM identity): they have aws:PrincipalArn and
        # aws:PrincipalAccount; a service and an anonymous caller have neither.
        self.iam = self.any([self.is_kind(k) for k in IAM_KINDS])

    def is_kind(self, k):
        return self.t(Kind.EQUAL, self.kind, self.tm.mkInteger(KINDS.index(k)))


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
            flags, values = [self.iam], [self.principal_arn]
        elif key.lower() == "aws:principalaccount":
            flags, values = [self.iam], [self.acct]
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

    def naming(self, ident):
        """How a Principal element's AWS id names the caller (IAM User Guide, "AWS JSON
        policy elements: Principal"): (its account, the caller itself, its role)."""
        tm, eq = self.tm, lambda a, b: self.t(Kind.EQUAL, a, tm.mkString(b) if isinstance(b, str) else b)
        parts = ident.split(":", 5)
        account = self.false()
        if len(ident) == 12 and ident.isdigit():
            account = self.all_([self.iam, eq(self.acct, ident)])
        elif len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[3] == "" and parts[5] == "root":
            account = self.all_([self.iam, eq(self.part, parts[1]), eq(self.acct, parts[4])])
        itself = eq(self.principal, ident)
        role = self.false()
        if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[3] == "" and parts[5].startswith("role/"):
            last = parts[5][5:].rsplit("/", 1)[-1]
            if last:
                role = self.all_([self.any([self.is_kind("role"), self.is_kind("session")]),
                                  eq(self.part, parts[1]), eq(self.acct, parts[4]), eq(self.name, last)])
        return account, itself, role

    def principal_matches(self, p):
        if p == "*":
            return self.true()
        conds = [self.all_([self.is_kind("service"), self.in_re(self.svc, self.exact_re(x, "ascii"))])
                 for x in listify(p.get("Service", []))]
        for ident in listify(p.get("AWS", [])):
            if ident == "*":
                return self.true()
            conds += list(self.naming(ident))
        return self.any(conds)

    def not_principal_excludes(self, p):
        """Whether a Deny's NotPrincipal spares the caller: the account and the caller
        (for a session: its role or itself) must both be listed (IAM User Guide,
        "NotPrincipal": "you must also include the account ARN")."""
        if p == "*":
            return self.true()
        ids = listify(p.get("AWS", []))
        if "*" in ids:
            return self.true()
        named = [self.naming(i) for i in ids]
        account = self.any([n[0] for n in named])
        itself = self.any([n[1] for n in named])
        role = self.any([n[2] for n in named])
        return self.t(Kind.ITE, self.is_kind("root"), account,
                      self.t(Kind.ITE, self.any([self.is_kind("role"), self.is_kind("session")]),
                             self.all_([account, self.any([role, itself])]),
                             self.all_([account, itself])))

    def applies(self, s, resource_policy):
        tm = self.tm
        acts = listify(s.get("Action", s.get("NotAction")))
        hit = self.any([self.in_re(self.laction, self.glob_re(ascii_lower(a))) for a in acts])
        parts = [self.t(Kind.NOT, hit) if "NotAction" in s else hit]
        if "Resource" in s or "NotResource" in s:
            rs = listify(s.get("Resource", s.get("NotResource")))
            rh = self.any([self.arn_like(r, self.resource) for r in rs])
            parts.append(self.t(Kind.NOT, rh) if "NotResource" in s else rh)
        if resource_policy:
            if "Principal" in s:
                parts.append(self.principal_matches(s["Principal"]))
            elif "NotPrincipal" in s and s["Effect"] == "Deny":
                parts.append(self.t(Kind.NOT, self.not_principal_excludes(s["NotPrincipal"])))
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
        eqs = [self.t(Kind.EQUAL, self.action, tm.mkString(ascii_lower(witness["action"]), True)),
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
        """sat, unsat or unknown, for actions of the shape without A-Z. Without that
        constraint the query is weaker (any action of the right shape and case has its
        lower-case form as a solution), so its unsat stands, and a model whose action
        keeps the constraint is a solution; only a model that breaks it needs the query
        again, constrained."""
        self.s.push()
        self.s.assertFormula(formula)
        if fixed is not None:
            self.s.assertFormula(fixed)
        r = self.s.checkSat()
        if r.isSat():
            a = self.s.getValue(self.action).getStringValue()
            if not shaped(a):
                # First its repair, which every generated pattern matches as it matches
                # the model's action, as a concrete value; then the constraint itself.
                r = None
                if shaped(repair(a)):
                    self.s.push()
                    self.s.assertFormula(self.t(Kind.EQUAL, self.action, self.tm.mkString(repair(a), True)))
                    r = self.s.checkSat()
                    self.s.pop()
                if r is None or not r.isSat():
                    self.s.assertFormula(self.shaped)
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


def question(case, tmp):
    """Writes a case's policy files; returns prove's arguments for it."""
    i, kind, files, extra = case
    paths = {}
    for name, doc in files.items():
        paths[name] = os.path.join(tmp, f"{i}-{name}.json")
        with open(paths[name], "w") as f:
            json.dump(doc, f)
    if kind == "no-new-access":
        return ["no-new-access", paths["old"], paths["new"]]
    if kind == "access-not-granted":
        return ["access-not-granted", paths["policy"], "--action", *extra["actions"]]
    args = ["no-public-access", paths["policy"], "--resource-type", "AWS::EC2::VPCEndpoint"]
    for t in extra["trusted"]:
        args += ["--account", t]
    return args


def formula(case):
    """The case's question for cvc5: sat iff the property fails."""
    i, kind, files, extra = case
    if kind == "no-new-access":
        old, new = files["old"], files["new"]
        smt = Smt(set_counts(old, new), IDENTITY_CALLERS)
        return smt, smt.t(Kind.AND, smt.allows(new), smt.t(Kind.NOT, smt.allows(old)))
    if kind == "access-not-granted":
        p, asked = files["policy"], extra["actions"]
        smt = Smt(set_counts(p), IDENTITY_CALLERS)
        # sts:GetCallerIdentity needs no permission: no policy grants it.
        free = smt.in_re(smt.laction, smt.lit_re("sts:getcalleridentity"))
        return smt, smt.all_([smt.allows(p), smt.t(Kind.NOT, free),
                              smt.any([smt.in_re(smt.laction, smt.glob_re(ascii_lower(x))) for x in asked])])
    p, trusted = files["policy"], extra["trusted"]
    smt = Smt(set_counts(p), ANY_CALLER)
    tm = smt.tm
    # Outside: an IAM caller of an account not trusted; an anonymous caller; an AWS
    # service acting for an account not trusted, as far as the keys that pin it say
    # (aws:SourceAccount, the account of aws:SourceArn: IAM User Guide, "The confused
    # deputy problem"): absent, or none of their values the trusted account's.
    not_trusted = lambda x: smt.all_([smt.t(Kind.NOT, smt.t(Kind.EQUAL, x, tm.mkString(t))) for t in trusted])
    if trusted:
        flags, vals, _ = smt.key("aws:SourceAccount", "str")
        acct_free = smt.all_([smt.t(Kind.IMPLIES, f, not_trusted(v)) for f, v in zip(flags, vals)])
        flags, vals, _ = smt.key("aws:SourceArn", "str")
        arn_free = smt.all_([smt.t(Kind.IMPLIES, f, smt.t(Kind.NOT, smt.any([smt.arn_like(f"arn:*:*:*:{t}:*", v) for t in trusted])))
                             for f, v in zip(flags, vals)])
    else:
        acct_free = arn_free = smt.true()
    outside = smt.t(Kind.ITE, smt.iam, not_trusted(smt.acct),
                    smt.t(Kind.ITE, smt.is_kind("service"), smt.all_([acct_free, arn_free]), smt.true()))
    return smt, smt.t(Kind.AND, smt.allows(p, resource_policy=True), outside)


def check_case(job):
    """cvc5 on one case, and on the prover's witness: (kind, verdict, seconds, problem)."""
    case, args, got = job
    i, kind, files, extra = case
    t0 = time.time()
    smt, f = formula(case)
    want = smt.check(f)
    seconds = time.time() - t0
    if want == "unknown":
        return kind, "solver-unknown", seconds, None
    if got["result"] == "unknown":
        return kind, "prover-unknown", seconds, {"unknown": got["explanation"]}
    ok = got["result"] in ("pass", "fail") and (got["result"] == "pass") == (want == "unsat")
    if ok and got["result"] == "fail":
        fixed = smt.fix(got["witness"])
        if fixed is None or smt.check(f, fixed) != "sat":
            ok = False
            got["explanation"] += " (cvc5 rejects the witness)"
    if ok and got["result"] == "fail" and got["witness"]["action"].lower() not in KNOWN:
        # The witness's action is one the catalog knows exactly when some known action
        # fails the property (an invented one stands only for actions AWS may add). A
        # known one needs no query: cvc5 has just accepted the witness, whose action is
        # fixed to it, so a known action fails the property. An invented one does: cvc5
        # must find no known action that fails it.
        real = smt.check(f, smt.real_action())
        if real == "sat":
            ok = False
            got["explanation"] += " (cvc5 on known actions: sat; the witness's action is invented)"
    problem = None if ok else {"case": i, "args": args, "files": files, "prover": got, "cvc5": want}
    return kind, got["result"], seconds, problem


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=int(os.environ.get("PROVE_ORACLE_CASES", "2000")))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bin", default="target/debug/perimeter")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--max-prover-unknown", type=float, default=None,
                    help="fail when the prover leaves more than this share of the cases undecided")
    ap.add_argument("--max-solver-unknown", type=float, default=None,
                    help="fail when cvc5 leaves more than this share of the cases undecided")
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    tally = {"cases": 0, "pass": 0, "fail": 0, "prover-unknown": 0, "solver-unknown": 0,
             "no-new-access": 0, "access-not-granted": 0, "no-public-access": 0,
             "prover-seconds": 0.0, "solver-seconds": 0.0}
    bad = []
    unknown = {}
    cases = generate(a.seed, a.cases)
    with tempfile.TemporaryDirectory() as tmp:
        questions = [question(c, tmp) for c in cases]
        # A few prover processes (one per job) answer every question between them:
        # process start-up would dominate one process per question.
        t0 = time.time()
        chunks = [questions[j::a.jobs] for j in range(a.jobs)]
        procs = []
        for j, chunk in enumerate(chunks):
            path = os.path.join(tmp, f"questions-{j}.jsonl")
            with open(path, "w") as f:
                for q in chunk:
                    f.write(json.dumps(q) + "\n")
            # Answers go to files: a full pipe would hold one process up behind another.
            with open(path + ".out", "w") as out, open(path + ".err", "w") as err:
                procs.append(subprocess.Popen([binary, "prove", "batch", path], stdout=out, stderr=err))
        for j, p in enumerate(procs):
            if p.wait() != 0:
                print(open(os.path.join(tmp, f"questions-{j}.jsonl.err")).read(), file=sys.stderr)
                return 1
        tally["prover-seconds"] = time.time() - t0
        parts = []
        for j in range(a.jobs):
            with open(os.path.join(tmp, f"questions-{j}.jsonl.out")) as f:
                parts.append([json.loads(line) for line in f])
        answers = [parts[k % a.jobs][k // a.jobs] for k in range(len(questions))]
        assert len(answers) == len(cases), (len(answers), len(cases))
        jobs = list(zip(cases, questions, answers))
        with multiprocessing.Pool(a.jobs) as pool:
            for kind, result, seconds, problem in pool.imap(check_case, jobs, chunksize=8):
                tally["cases"] += 1
                tally[kind] += 1
                tally[result] = tally.get(result, 0) + 1
                tally["solver-seconds"] += seconds
                if problem and "unknown" in problem:
                    # Why the prover did not decide, by the reason's kind.
                    why = problem["unknown"].split(": ")[-1]
                    if os.environ.get("PROVE_ORACLE_VERBOSE"):
                        print("unknown:", why, flush=True)
                    why = " ".join(w for w in why.split() if not w.startswith(('"', "/", "{")))[:90]
                    unknown[why] = unknown.get(why, 0) + 1
                elif problem:
                    bad.append(problem)
                if tally["cases"] % 500 == 0:
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
        return 1
    for side, bound in (("prover", a.max_prover_unknown), ("solver", a.max_solver_unknown)):
        share = tally[f"{side}-unknown"] / max(tally["cases"], 1)
        if bound is not None and share > bound:
            print(f"prove-oracle: the {side} left {share:.1%} of the cases undecided, more than {bound:.1%}")
            return 1
    return 0


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
