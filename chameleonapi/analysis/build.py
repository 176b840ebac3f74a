"""Turn the rules found in one function into DecisionSpecs (one per SDK call they test).

This is where the shape of the code becomes the decision's kind and order: a loop over the
labels that stops at the first match decides in label order, if/elif over categories in
category order, a loop that keeps the last match in "last" order, and independent tests
that each add to a collection or set their own flag select several categories. Which kind
of decision that shape makes is the decision kinds' rule (`chameleonapi.decisions`, `claims`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from chameleonapi.analysis.facts import Outcome, Rule, Site
from chameleonapi.analysis.interp import Decision
from chameleonapi.decisions import Shape, claim
from chameleonapi.spec import MATCHES, Category, DecisionSpec, SourceLocation

OPEN = "\0"  # marks a category standing for labels known only at run time


def build_specs(decision: Decision) -> list[DecisionSpec]:
    by_site: dict[Site, list[Rule]] = defaultdict(list)
    for rule in decision.rules:
        by_site[rule.cond.site].append(rule)
        for site in rule.cond.also:  # the same test over another call's labels
            if site != rule.cond.site:
                by_site[site].append(rule)
    specs = []
    for site, rules in by_site.items():
        for group in _independent(sorted(rules, key=lambda r: r.seq)):
            spec = build_one(decision, site, group)
            if spec is not None:
                specs.append(spec)
    return specs


def _independent(rules: list[Rule]) -> list[list[Rule]]:
    """Loops over the labels that feed different variables are different decisions
    (`for l in labels: if ...: beard = True` then another loop filling `held`)."""
    if not rules or any(r.cond.scope != "label" for r in rules):
        return [rules]
    groups: dict[int | None, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule.cond.loop, []).append(rule)
    if len(groups) < 2:
        return [rules]
    targets = [{(r.effect.kind, r.effect.target) for r in g} for g in groups.values()]
    if any(("return", "") in t for t in targets):
        return [rules]  # returns from both loops: one decision, the first loop first
    seen: set = set()
    for t in targets:
        if seen & t:
            return [rules]
        seen |= t
    return list(groups.values())


def _falsy(rule: Rule) -> bool:
    o = rule.effect.outcome
    return o.kind == "const" and o.value in (None, False, 0, "")


def build_one(decision: Decision, site: Site, rules: list[Rule]) -> DecisionSpec | None:
    reasons: list[str] = list(site.reasons)
    warnings: list[str] = []
    rules = _outcomes_only(rules)
    positive = [r for r in rules if not _falsy(r)]
    negative = [r for r in rules if _falsy(r)]
    if not positive and negative and all(r.effect.kind == "return" for r in negative):
        # `if <banned label>: return False` then `return True`: the test is the decision
        positive = [replace(r, effect=replace(r.effect, outcome=Outcome("const", True))) for r in negative]
        negative = []
    if not positive:
        return None
    returns = [r for r in positive if r.effect.kind == "return"]
    used = returns or positive
    if negative and any(r.effect.terminates and r.seq < max(p.seq for p in used) for r in negative):
        if any(r.effect.kind == "return" for r in negative) or not returns:
            reasons.append("a matching label can decide 'other' before the categories are tested")

    kinds = {r.effect.kind for r in used}
    set_targets = {r.effect.target for r in used if r.effect.kind == "set"}
    exclusive = _exclusive(used)
    multi_select = "add" in kinds or len(set_targets) > 1 or ("call" in kinds and not exclusive)

    # categories in the order the code tests them
    cats: dict[str, list[str]] = {}
    unknown: list[str] = []  # outcomes that are not constants: they matter only between categories
    for rule in used:
        for name, labels in _categories(rule, decision, unknown):
            bucket = cats.setdefault(name, [])
            for label in labels:
                if label not in bucket:
                    bucket.append(label)
    if not cats:
        return None
    if len(cats) > 1 and len({frozenset(x.casefold() for x in v) for v in cats.values()}) == 1:
        # several effects of one test (a flag, a position, an area set together): one outcome
        first = next(iter(cats))
        cats, multi_select = {first: cats[first]}, False
    if len(cats) == 1 and all(r.effect.outcome.kind == "branch" for r in used):
        cats = {decision.name: next(iter(cats.values()))}  # one reported branch: named after the function

    scopes = {r.cond.scope for r in used}
    loops = {r.cond.loop for r in used}
    per_label = scopes == {"label"} and len(loops) == 1
    terminates = all(r.effect.terminates for r in used)
    names = list(cats)
    if multi_select:
        order = "label" if per_label else "category"
    elif per_label:
        order = "label" if terminates else "last"
    else:
        order = "category"
        if not terminates and not exclusive and kinds <= {"set"}:
            names.reverse()  # independent ifs assigning one variable: the last test that holds wins
    if "label" in scopes and "any" in scopes:
        reasons.append("per-label tests and tests over all labels are mixed")
    elif len(loops) > 1 and scopes == {"label"} and not multi_select:
        order = "category"

    if len(names) > 1:
        reasons.extend(unknown)
    open_labels = any(n.startswith(OPEN) for n in names)
    names = [n.removeprefix(OPEN) for n in names]
    cats = {n.removeprefix(OPEN): v for n, v in cats.items()}
    # the decision kinds' own rules say which kind (and order) this shape of code makes
    decision_kind = claim(Shape(categories=len(names), several=multi_select, open_labels=open_labels))
    kind, order = decision_kind.spec_kind, decision_kind.order_for(order)

    match = _unify([r.cond.match for r in used], reasons)
    thresholds = {r.cond.threshold for r in used}
    threshold = _pick_threshold(thresholds, reasons)
    if site.threshold is not None:
        threshold = site.threshold if threshold is None else max(threshold, site.threshold)
    top_k = site.top_k
    ks = {r.cond.top_k for r in used}
    if len(ks) > 1:
        reasons.append("categories see different numbers of labels; the smallest is used")
    k_values = [k for k in ks if k is not None]
    if k_values:
        top_k = min(k_values) if top_k is None else min(top_k, *k_values)

    conditions: list[SourceLocation] = []
    for rule in used:
        reasons.extend(r for r in rule.cond.reasons if r not in reasons)
        warnings.extend(w for w in rule.cond.warnings if w not in warnings)
        for line in rule.cond.lines:
            loc = SourceLocation(rule.file, line)
            if loc not in conditions:
                conditions.append(loc)
    categories = [Category(n, tuple(cats[n])) for n in names]
    if any(not c.labels for c in categories):
        reasons.append("some label lists could not be resolved")
    reasons = list(dict.fromkeys(reasons))
    return DecisionSpec(
        kind=kind,
        order=order,
        categories=categories,
        match=match,
        threshold=threshold,
        top_k=top_k,
        provider=site.provider,
        method=site.method,
        call=SourceLocation(site.file, site.line),
        conditions=conditions,
        partial=bool(reasons),
        reasons=reasons,
        warnings=warnings,
    )


def _outcomes_only(rules: list[Rule]) -> list[Rule]:
    """One outcome per branch. A branch that sets a flag and also keeps the label's score and
    text, or saves a record and awards points, yields one thing: what it returns, else the
    constant it records, else the label; calls there are bookkeeping."""
    best: dict[int, Rule] = {}
    for rule in rules:
        if rule.branch and (rule.branch not in best or _rank(rule) < _rank(best[rule.branch])):
            best[rule.branch] = rule
    return [r for r in rules if not r.branch or best[r.branch] is r]


def _rank(rule: Rule) -> int:
    effect, outcome = rule.effect, rule.effect.outcome
    if effect.kind == "return":
        # `print("OK"); return`: a bare return only ends the branch; what it did is the outcome
        return 7 if outcome.kind == "const" and outcome.value is None else 0
    if effect.kind == "call":
        return 6 if outcome.kind == "branch" else 5
    if outcome.kind == "const" and isinstance(outcome.value, str) and outcome.value:
        return 1
    if outcome.kind == "const" and outcome.value not in (None, False, 0, ""):
        return 2
    if outcome.kind in ("label", "map"):
        return 3
    return 4


def _exclusive(rules: list[Rule]) -> bool:
    """At most one branch runs: one if/elif chain, or every branch ends the search."""
    if all(r.effect.terminates for r in rules):
        return True
    chains = {r.chain[0] if r.chain else None for r in rules}
    unrolls = {r.unroll for r in rules}
    one_chain = len(chains) == 1 and None not in chains and len(unrolls) == 1
    return one_chain and all(r.cond.scope == "any" for r in rules)


def _categories(rule: Rule, decision: Decision, reasons: list[str]) -> list[tuple[str, list[str]]]:
    cond, effect = rule.cond, rule.effect
    labels = list(cond.labels or ())
    outcome = effect.outcome
    if outcome.kind == "label":
        if cond.labels is None:
            # the label itself is the outcome, compared with labels read at run time:
            # one choice per label, which ones is known only then
            return [(OPEN + decision.name, [])]
        if cond.match.startswith("substring"):
            # any label containing a word: the labels found are open-ended, the branch is the outcome
            return [(decision.flag_names.get(effect.target, effect.target) or decision.name, labels)]
        return [(label, [label]) for label in labels]
    if outcome.kind == "open":  # one category per item of a collection read at run time
        return [(OPEN + (effect.target or decision.name), [])]
    if outcome.kind == "branch":
        return [(outcome.value if isinstance(outcome.value, str) and outcome.value else decision.name, labels)]
    if outcome.kind == "map":
        mapping: dict[str, Any] = {}
        for k, v in outcome.value or ():
            mapping.setdefault(k, v)
        out: dict[str, list[str]] = {}
        for label in labels:
            value = mapping.get(label)
            if value is None or value is False or value == "":
                continue
            out.setdefault(str(value), []).append(label)
        return list(out.items())
    if outcome.kind == "const":
        value = outcome.value
        if isinstance(value, str):
            name = value
        elif effect.kind == "set":
            name = decision.flag_names.get(effect.target, effect.target)
        elif effect.kind == "call":
            name = effect.target
        elif value is True or effect.kind == "return":
            name = decision.name if value is True else str(value)
        else:
            name = str(value)
        return [(name, labels)]
    reasons.append(f"the outcome at line {effect.line} is not a constant ({outcome.value})")
    name = effect.target or decision.name
    if effect.kind == "set":
        name = decision.flag_names.get(effect.target, effect.target)
    return [(name, labels)]


def _unify(matches: list[str], reasons: list[str]) -> str:
    distinct = list(dict.fromkeys(matches))
    if len(distinct) == 1:
        return distinct[0]
    chosen = max(distinct, key=MATCHES.index)
    reasons.append(f"categories are matched differently ({', '.join(distinct)}); {chosen} is used")
    return chosen


def _pick_threshold(values: set[float | None], reasons: list[str]) -> float | None:
    if len(values) <= 1:
        return next(iter(values), None)
    reasons.append("categories use different score thresholds; the lowest is used")
    known = [v for v in values if v is not None]
    return min(known) if known and None not in values else None
