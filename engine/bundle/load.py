"""Bundle directory → checked :class:`~chronolex.model.Bundle`, or every reason it is not one.

The stages run in order, each on what the previous one produced:
read YAML safely → validate against the JSON Schemas → build the model (timezone,
categories, fact catalog, versions, rules, conditions, with every condition parsed and
type-checked) → resolve ``extends``. Every finding is a positioned
:class:`~chronolex.errors.Diagnostic`; a stage that cannot run because an earlier one
failed is skipped, so one mistake is not reported five times.
"""

from __future__ import annotations

import difflib
import os
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from chronolex.errors import ChronolexError, Diagnostic, Severity, Span, sort_diagnostics
from chronolex.bundle.files import DiskTree, FileTree
from chronolex.lang import CompiledExpr, ConditionError, compile_condition
from chronolex.lang import nodes
from chronolex.lang import types as t
from chronolex.model import (
    AGGREGATION_RESULT,
    AGGREGATIONS,
    BUILTIN_CATEGORIES,
    DEFAULT_LOCALE,
    Bundle,
    Category,
    Derivation,
    EventType,
    Fact,
    Interval,
    Rule,
    Schedule,
    Source,
    Version,
    field_fits,
    frozen_map,
)
from chronolex.time.recurrence import first_occurrence, parse_rrule, repeat_years, shortest_gap
from chronolex.bundle.schemas import schema_diagnostics
from chronolex.instants import Duration, format_instant, load_zone, parse_date, parse_instant
from chronolex.bundle.yaml_source import DEFAULT_LIMITS, Document, Limits, Path as JsonPath, read_yaml

BUNDLE_FILE = "bundle.yaml"
_MAX_EXTENDS_DEPTH = 100

#: The texts of a rule that may be written by locale.
RULE_TEXTS = ("title", "message", "remedy", "because")


def localized(value: object, default_locale: str) -> tuple[str | None, dict[str, str]]:
    """A text written as a string or as a map by locale: the text in the default locale
    (else the first one written) and the text by locale.

    >>> localized({"en": "Hi", "zh-CN": "你好"}, "zh-CN")
    ('你好', {'en': 'Hi', 'zh-CN': '你好'})
    >>> localized("Hi", "en")
    ('Hi', {'en': 'Hi'})
    """
    if value is None:
        return None, {}
    if isinstance(value, dict):
        by_locale = {str(k): str(v) for k, v in value.items()}
        if not by_locale:
            return None, {}
        return by_locale.get(default_locale, next(iter(by_locale.values()))), by_locale
    return str(value), {default_locale: str(value)}


def rule_texts(spec: Mapping[str, Any], default_locale: str) -> tuple[dict[str, str | None], dict[str, dict[str, str]]]:
    """A rule's texts in the default locale (by field) and by locale, then by field."""
    plain: dict[str, str | None] = {}
    by_locale: dict[str, dict[str, str]] = {}
    for name in RULE_TEXTS:
        plain[name], texts = localized(spec.get(name), default_locale)
        for locale, text in texts.items():
            by_locale.setdefault(locale, {})[name] = text
    return plain, by_locale


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What loading found: the model (None when even the manifest could not be read),
    every finding of the load stages, the files read and each version file's document
    (later stages position their findings in it)."""

    root: str
    model: Bundle | None
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...] = ()
    version_documents: Mapping[str, Document] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


def load_bundle(path: str | Path | FileTree, *, limits: Limits = DEFAULT_LIMITS) -> Bundle:
    """Load and check the bundle at ``path`` (a directory, its bundle.yaml, or a
    :class:`~chronolex.bundle.files.FileTree`); raise :class:`ChronolexError` on any error.

    Only what makes a bundle unusable stops loading; warnings about what it probably means
    wrongly are the next stage's (:func:`chronolex.checks.stages.check_bundle`).
    """
    result = read_bundle(path, limits=limits)
    if result.model is None or not result.ok:
        raise ChronolexError([d for d in result.diagnostics if d.severity is Severity.ERROR])
    return result.model


def read_bundle(path: str | Path | FileTree, *, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """Run the load stages on the bundle whose directory (or ``bundle.yaml``) is ``path``,
    or the bundle a :class:`~chronolex.bundle.files.FileTree` holds at its root; never
    raises for bad content.

    Raises :class:`ChronolexError` (code ``io-error``, or ``git-error`` for a tree read
    from git) only if the files cannot be read.
    """
    tree = _tree_of(path)
    builder = _Builder(tree, limits)
    model = builder.run()
    return LoadResult(
        root=tree.label,
        model=model,
        diagnostics=sort_diagnostics(builder.diagnostics),
        files=tuple(builder.files),
        version_documents=dict(builder.version_sources),
    )


def _tree_of(path: str | Path | FileTree) -> FileTree:
    """A path names a directory on disk (or its bundle.yaml); a tree is used as it is."""
    if not isinstance(path, (str, os.PathLike)):
        return path
    root = Path(path)
    if root.name == BUNDLE_FILE and root.is_file():
        root = root.parent
    return DiskTree(root)


@dataclass
class _VersionSource:
    """A version file as read: its document and the model built from it, before extends."""

    document: Document
    file: str
    raw: dict[str, Any]
    version: Version | None = None


class _Builder:
    """Collects diagnostics while building the model; one instance per check."""

    def __init__(self, tree: FileTree, limits: Limits) -> None:
        self.tree = tree
        self.limits = limits
        self.diagnostics: list[Diagnostic] = []
        self.files: list[str] = []
        self.model: Bundle | None = None
        self.version_sources: dict[str, Document] = {}
        self.zone: ZoneInfo = ZoneInfo("UTC")
        self.default_locale = DEFAULT_LOCALE
        self.failed_versions: set[str] = set()
        self.catalog_types: Mapping[str, t.Type] = {}
        self.failed_rules: set[tuple[str, str]] = set()
        self.event_types: dict[str, EventType] | None = None
        self._compiled: dict[tuple[str, str, bool], CompiledExpr] = {}

    # -- reporting -----------------------------------------------------------------
    def error(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, Severity.ERROR, message, span, help))

    def document(self, rel: str, schema_name: str) -> Document | None:
        """Read one file and check it against its schema; None if either fails.

        At most ``max_bytes + 1`` bytes are read: enough to tell that a file is too large
        without reading it all (or reading forever from a device)."""
        file = self.tree.display(rel)
        self.files.append(file)
        raw = self.tree.read(rel, self.limits.max_bytes + 1)
        try:
            document = read_yaml(file, raw, self.limits)
        except ChronolexError as exc:
            self.diagnostics.extend(exc.diagnostics)
            self.unreadable(rel, schema_name)
            return None
        if document.data is None:
            self.error("schema", "the file is empty", Span(file, 1, 1))
            self.unreadable(rel, schema_name)
            return None
        found = list(schema_diagnostics(document, schema_name))
        self.diagnostics.extend(found)
        if found and schema_name == "version" and isinstance(document.data, dict):
            self.failed_versions.add(str(document.data.get("version")))
        return None if found else document

    def unreadable(self, rel: str, schema_name: str) -> None:
        """A version file that cannot be read does not say its id; its file name (versions are
        named after their id) stands in, so that an ``extends`` of it is not reported again as
        an unknown version."""
        if schema_name == "version":
            self.failed_versions.add(Path(rel).stem)

    def condition(
        self,
        document: Document,
        path: JsonPath,
        catalog: Mapping[str, t.Type],
        *,
        expect: t.Type | None = t.BOOL,
        fields_are_any: bool = False,
        fields_of: str | None = None,
    ) -> CompiledExpr | None:
        text = document.source
        value = str(_get(document.data, path))
        key = (value, str(expect), fields_are_any)
        if catalog is self.catalog_types and key in self._compiled:
            return self._compiled[key]
        try:
            compiled = compile_condition(value, catalog, expect=expect, fields_are_any=fields_are_any,
                                         fields_of=fields_of)
            if catalog is self.catalog_types:
                self._compiled[key] = compiled
            return compiled
        except ConditionError as exc:
            for problem in exc.problems:
                span = text.locate(path, problem.start, problem.end)
                self.diagnostics.append(Diagnostic(problem.code, Severity.ERROR, problem.message, span, problem.help))
            return None

    def instant(self, document: Document, path: JsonPath, zone: ZoneInfo) -> datetime | None:
        try:
            return parse_instant(str(_get(document.data, path)), zone)
        except ValueError as exc:
            self.error("invalid-date", str(exc), document.source.span(path))
            return None

    # -- stages --------------------------------------------------------------------
    def run(self) -> Bundle | None:
        manifest_file = self.tree.display(BUNDLE_FILE)
        if not self.tree.is_file(BUNDLE_FILE):
            raise ChronolexError.single(
                "io-error", f"no {BUNDLE_FILE} in {self.tree.label}", Span(manifest_file, 1, 1),
                "a bundle is a directory with bundle.yaml and versions/*.yaml",
            )
        manifest = self.document(BUNDLE_FILE, "bundle")
        version_docs = [
            (self.tree.display(rel), self.document(rel, "version")) for rel in self.tree.yaml_files("versions")
        ]
        for rel in self.tree.yaml_files("tests"):
            self.document(rel, "test")
        if not version_docs:
            self.error("no-versions", "the bundle has no versions/*.yaml", Span(manifest_file, 1, 1),
                       "add a version file under versions/")
        if manifest is None:
            return None
        header = self.header(manifest)
        if header is None:
            return None
        zone, actions, categories, facts = header
        sources = [
            _VersionSource(doc, file, doc.data)
            for file, doc in version_docs
            if doc is not None
        ]
        for source in sources:
            self.version_sources[str(source.file)] = source.document
            source.version = self.version(source, zone, actions, categories, facts)
        versions = self.resolve(sources)
        model = Bundle(
            name=str(manifest.data["bundle"]),
            title=manifest.data.get("title"),
            description=manifest.data.get("description"),
            timezone=zone,
            actions=actions,
            categories=frozen_map(categories),
            facts=frozen_map(facts),
            versions=versions,
            events=None if self.event_types is None else frozen_map(self.event_types),
            root=self.tree.label,
            default_locale=self.default_locale,
            action_titles=frozen_map({
                str(action): frozen_map(localized(titles, self.default_locale)[1])
                for action, titles in (manifest.data.get("action_titles") or {}).items()
            }),
            span=manifest.source.span(()),
        )
        self.model = model
        return model

    def header(
        self, manifest: Document
    ) -> tuple[ZoneInfo, tuple[str, ...], dict[str, Category], dict[str, Fact]] | None:
        data = manifest.data
        try:
            zone = load_zone(str(data["timezone"]))
        except ValueError as exc:
            close = difflib.get_close_matches(str(data["timezone"]), _zone_names(), n=1)
            self.error("invalid-timezone", str(exc), manifest.source.span(("timezone",)),
                       f"did you mean `{close[0]}`?" if close else "use an IANA name such as Asia/Shanghai")
            return None
        self.default_locale = str(data.get("default_locale") or DEFAULT_LOCALE)
        categories = {
            name: Category(name, precedence, title) for name, (precedence, title) in BUILTIN_CATEGORIES.items()
        }
        for name, spec in (data.get("categories") or {}).items():
            builtin = BUILTIN_CATEGORIES.get(name)
            title, titles = localized(spec.get("title"), self.default_locale)
            categories[name] = Category(
                name,
                int(spec["precedence"]),
                title or (builtin[1] if builtin else name),
                frozen_map(titles),
                manifest.source.span(("categories", name), key=True),
            )
        self.event_types = self.event_catalog(manifest)
        facts = self.catalog(manifest, zone)
        for action in data.get("action_titles") or {}:
            if action not in data["actions"]:
                close = difflib.get_close_matches(str(action), list(data["actions"]), n=1)
                self.error("unknown-action", f"action_titles names unknown action {action!r}",
                           manifest.source.span(("action_titles", action), key=True),
                           f"did you mean `{close[0]}`?" if close else "actions: " + ", ".join(data["actions"]))
        return zone, tuple(data["actions"]), categories, facts

    def event_catalog(self, manifest: Document) -> dict[str, EventType] | None:
        """The declared event types (``events``), or None when the bundle declares none."""
        specs: dict[str, dict[str, Any]] | None = manifest.data.get("events")
        if specs is None:
            return None
        return {
            name: EventType(
                name=name,
                fields=frozen_map({f: _fact_type(spec) for f, spec in (decl.get("fields") or {}).items()}),
                title=decl.get("title"),
                description=decl.get("description"),
                span=manifest.source.span(("events", name), key=True),
            )
            for name, decl in specs.items()
        }

    def catalog(self, manifest: Document, zone: ZoneInfo) -> dict[str, Fact]:
        self.zone = zone
        specs: dict[str, dict[str, Any]] = manifest.data["facts"]
        types = {name: _fact_type(spec["type"]) for name, spec in specs.items()}
        facts: dict[str, Fact] = {}
        for name, spec in specs.items():
            path: JsonPath = ("facts", name)
            declared = types[name]
            derive = None
            expr = None
            if "derive" in spec:
                derive = self.derivation(manifest, (*path, "derive"), spec["derive"], declared, zone)
            else:
                expr = self.condition(manifest, (*path, "expr"), types, expect=declared)
                if expr is not None and declared.name == "enum":
                    self.enum_expr(manifest, (*path, "expr"), expr, declared)
            facts[name] = Fact(
                name=name,
                type=declared,
                derive=derive,
                expr=expr,
                title=spec.get("title"),
                description=spec.get("description"),
                span=manifest.source.span(path, key=True),
            )
        self.fact_cycles(manifest, facts)
        return facts

    def enum_expr(self, manifest: Document, path: JsonPath, expr: CompiledExpr, declared: t.Type) -> None:
        """An expr fact of an enum type must stay inside the enum."""
        tree = expr.ast
        if isinstance(tree, nodes.Literal) and tree.kind == "string":
            if tree.value not in declared.values:
                close = difflib.get_close_matches(str(tree.value), list(declared.values), n=1)
                self.error("enum-value", f"{tree.value!r} is not one of {', '.join(declared.values)}",
                           manifest.source.span(path), f"did you mean {close[0]!r}?" if close else None)
        elif tree.type is not None and tree.type.name == "string":
            self.error("type-mismatch", f"a string expression may take values outside {declared}",
                       manifest.source.span(path), "derive the fact with an enum type, or declare it as string")
        elif tree.type is not None and tree.type.name == "enum" and not set(tree.type.values) <= set(declared.values):
            self.error("type-mismatch", f"{tree.type} has values outside {declared}", manifest.source.span(path))

    def derivation(
        self, manifest: Document, path: JsonPath, spec: dict[str, Any], declared: t.Type, zone: ZoneInfo
    ) -> Derivation | None:
        aggregation = next(a for a in AGGREGATIONS if a in spec)
        target = str(spec[aggregation])
        event_type, _, field_name = target.partition(".")
        result = AGGREGATION_RESULT[aggregation]
        where_span = manifest.source.span((*path, aggregation))
        if result != "field" and declared.name != result:
            self.error("type-mismatch", f"'{aggregation}' yields {result}, but the fact is declared {declared}",
                       where_span, f"declare the fact with type: {result}")
        if aggregation == "sum" and not declared.is_numeric:
            self.error("type-mismatch", f"'sum' needs a numeric fact, but it is declared {declared}", where_span)
        if aggregation in ("min", "max") and not (declared.is_numeric or declared.is_temporal):
            self.error("type-mismatch", f"'{aggregation}' needs a number, date or datetime fact, not {declared}",
                       where_span)
        field_types = self.event_fields(manifest, (*path, aggregation), event_type, field_name, declared,
                                        aggregation)
        window = None
        if "window" in spec:
            try:
                window = Duration.parse(str(spec["window"]))
            except ValueError as exc:
                self.error("invalid-duration", str(exc), manifest.source.span((*path, "window")))
        where = None
        if "where" in spec:
            if self.event_types is None:
                where = self.condition(manifest, (*path, "where"), {}, fields_are_any=True)
            elif field_types is not None:
                where = self.condition(manifest, (*path, "where"), field_types, fields_of=event_type)
        default: object = None
        if "default" in spec:
            default = self.default_value(manifest, (*path, "default"), spec["default"], declared)
        return Derivation(
            aggregation=aggregation,
            event_type=event_type,
            field=field_name or None,
            window=window,
            where=where,
            default=default,
            has_default="default" in spec,
            where_fields=field_types if where is not None else None,
        )

    def event_fields(
        self, manifest: Document, path: JsonPath, event_type: str, field_name: str, declared: t.Type,
        aggregation: str,
    ) -> Mapping[str, t.Type] | None:
        """Check a derivation against the event catalog; the fields of its event type, or None
        when the type is not declared (or there is no catalog: nothing to check against)."""
        if self.event_types is None:
            return None
        span = manifest.source.span(path)
        event = self.event_types.get(event_type)
        if event is None:
            close = difflib.get_close_matches(event_type, list(self.event_types), n=1, cutoff=0.6)
            self.error("unknown-event-type", f"event type '{event_type}' is not declared in the event catalog",
                       span, f"did you mean `{close[0]}`?" if close
                       else f"declare it under events: in bundle.yaml")
            return None
        if not field_name:
            return event.fields
        field_type = event.fields.get(field_name)
        if field_type is None:
            close = difflib.get_close_matches(field_name, list(event.fields), n=1, cutoff=0.6)
            self.error("unknown-event-field", f"event type '{event_type}' has no field '{field_name}'", span,
                       f"did you mean `{event_type}.{close[0]}`?" if close
                       else f"declare it under events: {event_type}: fields: in bundle.yaml")
        elif AGGREGATION_RESULT[aggregation] == "field" and not field_fits(field_type, declared):
            self.error("type-mismatch",
                       f"field {event_type}.{field_name} is declared {field_type}, which does not fit "
                       f"the fact's type {declared}", span,
                       "declare the fact and the field with the same type (an int field fits a decimal "
                       "fact, an enum field fits a string fact or a larger enum)")
        return event.fields

    def default_value(self, manifest: Document, path: JsonPath, value: Any, declared: t.Type) -> object:
        span = manifest.source.span(path)
        name = declared.name
        ok = (
            (name == "int" and isinstance(value, int) and not isinstance(value, bool))
            or (name == "decimal" and isinstance(value, (int, float)) and not isinstance(value, bool))
            or (name == "bool" and isinstance(value, bool))
            or (name in ("string", "date", "datetime", "duration") and isinstance(value, str))
            or (name == "enum" and isinstance(value, str))
        )
        if not ok:
            self.error("type-mismatch", f"default {value!r} is not of type {declared}", span)
            return None
        if name == "enum" and value not in declared.values:
            close = difflib.get_close_matches(str(value), list(declared.values), n=1)
            self.error("enum-value", f"default {value!r} is not one of {', '.join(declared.values)}", span,
                       f"did you mean {close[0]!r}?" if close else None)
            return None
        try:
            if name == "decimal":
                return Decimal(str(value))
            if name == "date":
                return parse_date(str(value))
            if name == "datetime":
                return parse_instant(str(value), self.zone)
            if name == "duration":
                return Duration.parse(str(value))
        except ValueError as exc:
            self.error("invalid-date" if name in ("date", "datetime") else "invalid-duration", str(exc), span)
            return None
        return value

    def fact_cycles(self, manifest: Document, facts: Mapping[str, Fact]) -> None:
        """Report each cycle among ``expr`` facts once, at the expression of its first fact."""
        graph = {
            name: sorted(d for d in fact.expr.facts if d in facts and facts[d].expr is not None)
            for name, fact in facts.items()
            if fact.expr is not None
        }
        reported: set[frozenset[str]] = set()
        for start in sorted(graph):
            cycle = _find_cycle(start, graph)
            if cycle and frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                first = min(cycle)
                rotated = cycle[cycle.index(first):] + cycle[: cycle.index(first)]
                self.error(
                    "fact-cycle",
                    "facts depend on each other in a cycle: " + " -> ".join([*rotated, rotated[0]]),
                    manifest.source.span(("facts", first, "expr")),
                    "derive one of them from events instead",
                )

    def version(
        self,
        source: _VersionSource,
        zone: ZoneInfo,
        actions: tuple[str, ...],
        categories: Mapping[str, Category],
        facts: Mapping[str, Fact],
    ) -> Version | None:
        doc, data = source.document, source.raw
        effective_from = self.instant(doc, ("effective_from",), zone)
        published_at = self.instant(doc, ("published_at",), zone)
        if not self.catalog_types:
            self.catalog_types = {name: fact.type for name, fact in facts.items()}
        catalog = self.catalog_types
        rules: list[Rule] = []
        seen: dict[str, int] = {}
        for index, spec in enumerate(data.get("rules") or []):
            rule_id = str(spec["id"])
            if rule_id in seen:
                self.error("duplicate-rule-id", f"rule id {rule_id!r} is used twice in this version",
                           doc.source.span(("rules", index, "id")),
                           f"the first is at line {doc.source.span(('rules', seen[rule_id], 'id')).line}")
                continue
            seen[rule_id] = index
            rule = self.rule(doc, ("rules", index), spec, zone, actions, categories, catalog, effective_from)
            if rule is not None:
                rules.append(replace(rule, declared_in=str(data["version"])))
            else:
                self.failed_rules.add((str(data["version"]), rule_id))
        for index, removed in enumerate(data.get("remove") or []):
            if removed in seen:
                self.error("bad-extends", f"rule {removed!r} is both listed and removed",
                           doc.source.span(("remove", index)))
        if effective_from is None or published_at is None:
            return None
        return Version(
            id=str(data["version"]),
            effective_from=effective_from,
            published_at=published_at,
            rules=tuple(rules),
            summary=data.get("summary"),
            description=data.get("description"),
            extends=data.get("extends"),
            removed=tuple(data.get("remove") or ()),
            file=source.file,
            span=doc.source.span(("version",)),
        )

    def rule(
        self,
        doc: Document,
        path: JsonPath,
        spec: dict[str, Any],
        zone: ZoneInfo,
        actions: tuple[str, ...],
        categories: Mapping[str, Category],
        catalog: Mapping[str, t.Type],
        effective_from: datetime | None,
    ) -> Rule | None:
        source = doc.source
        ok = True
        category = str(spec["category"])
        if category not in categories:
            close = difflib.get_close_matches(category, list(categories), n=1)
            self.error("unknown-category", f"unknown category {category!r}", source.span((*path, "category")),
                       f"did you mean `{close[0]}`?" if close else "categories: " + ", ".join(sorted(categories)))
            ok = False
        for index, action in enumerate(spec["actions"]):
            if action not in actions:
                close = difflib.get_close_matches(str(action), list(actions), n=1)
                self.error("unknown-action", f"unknown action {action!r}", source.span((*path, "actions", index)),
                           f"did you mean `{close[0]}`?" if close else "actions: " + ", ".join(actions))
                ok = False
        when = unless = None
        if "when" in spec:
            when = self.condition(doc, (*path, "when"), catalog)
            ok = ok and when is not None
        if "unless" in spec:
            unless = self.condition(doc, (*path, "unless"), catalog)
            ok = ok and unless is not None
        active = self.interval(doc, (*path, "active"), spec.get("active"), ("from", "until"), zone)
        window = self.interval(doc, (*path, "window"), spec.get("window"), ("start", "end"), zone)
        schedule = self.schedule(doc, (*path, "schedule"), spec.get("schedule"), zone, effective_from)
        if ("active" in spec and active is None) or ("window" in spec and window is None):
            ok = False
        if "schedule" in spec and schedule is None:
            ok = False
        cited = spec.get("source")
        if not ok:
            return None
        plain, texts = rule_texts(spec, self.default_locale)
        return Rule(
            id=str(spec["id"]),
            category=category,
            actions=tuple(spec["actions"]),
            title=plain["title"],
            description=spec.get("description"),
            when=when,
            unless=unless,
            on_unknown=str(spec.get("on_unknown", "undetermined")),
            active=active,
            window=window,
            schedule=schedule,
            source=Source(cited["authority"], cited["document"], cited.get("clause"), cited.get("url")) if cited else None,
            message=plain["message"],
            remedy=plain["remedy"],
            texts=frozen_map({locale: frozen_map(fields) for locale, fields in texts.items()}),
            span=source.span((*path, "id")),
        )

    def interval(
        self, doc: Document, path: JsonPath, spec: dict[str, Any] | None, keys: tuple[str, str], zone: ZoneInfo
    ) -> Interval | None:
        if spec is None:
            return None
        start = self.instant(doc, (*path, keys[0]), zone) if keys[0] in spec else None
        end = self.instant(doc, (*path, keys[1]), zone) if keys[1] in spec else None
        if (keys[0] in spec and start is None) or (keys[1] in spec and end is None):
            return None
        if start is not None and end is not None and end <= start:
            self.error(
                "empty-window",
                f"{keys[1]} ({format_instant(end, zone)}) is not after {keys[0]} ({format_instant(start, zone)}); "
                "the interval is empty",
                doc.source.span((*path, keys[1])),
                "intervals are half-open [start, end): the end must be later than the start",
            )
            return None
        return Interval(start, end, doc.source.span(path))

    def schedule(
        self,
        doc: Document,
        path: JsonPath,
        spec: dict[str, Any] | None,
        zone: ZoneInfo,
        effective_from: datetime | None,
    ) -> Schedule | None:
        if spec is None:
            return None
        start = self.instant(doc, (*path, "start"), zone) if "start" in spec else effective_from
        if start is None:
            return None
        text = str(spec["rrule"])
        try:
            recurrence = parse_rrule(text, start, zone)
        except ValueError as exc:
            self.error("invalid-rrule", str(exc), doc.source.span((*path, "rrule")),
                       "write an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0")
            return None
        if first_occurrence(recurrence) is None:
            if "UNTIL=" not in text.upper():
                years = repeat_years(recurrence)
                self.error("invalid-rrule", f"this RRULE never produces an occurrence: it has none in the {years:,} "
                           f"years after its start, after which its pattern repeats",
                           doc.source.span((*path, "rrule")), "check that its BY parts can meet (a day that exists "
                           "in the months, weeks and weekdays given)")
                return None
            self.diagnostics.append(Diagnostic(
                "dead-rule", Severity.WARNING, "this schedule never produces an occurrence (UNTIL ends it "
                "before its first)", doc.source.span((*path, "rrule")), "check UNTIL against the schedule's start",
            ))
        try:
            duration = Duration.parse(str(spec["duration"]))
        except ValueError as exc:
            self.error("invalid-duration", str(exc), doc.source.span((*path, "duration")))
            return None
        if duration.text == "PT0S":
            self.error("empty-window", "a schedule occurrence must last longer than zero",
                       doc.source.span((*path, "duration")))
            return None
        gap = shortest_gap(recurrence)
        if gap is not None and duration.shortest > gap:
            self.diagnostics.append(Diagnostic(
                "overlapping-occurrences", Severity.WARNING,
                f"each occurrence lasts {duration.text}, but occurrences start as little as {_spoken(gap)} apart, "
                "so they overlap and the schedule stays on across them (overlapping occurrences are merged)",
                doc.source.span((*path, "duration")),
                "give a duration shorter than the time between two occurrences, or a recurrence that matches less often",
            ))
        return Schedule(text, duration, start, doc.source.span(path))

    def resolve(self, sources: list[_VersionSource]) -> tuple[Version, ...]:
        """Check version identity and dates across files, and apply ``extends``/``remove``."""
        by_id: dict[str, _VersionSource] = {}
        for source in sources:
            version_id = str(source.raw["version"])
            if version_id in by_id:
                self.error("duplicate-version", f"version {version_id!r} is also defined in {by_id[version_id].file}",
                           source.document.source.span(("version",)), "give each version file its own version id")
                continue
            by_id[version_id] = source
        stamps: dict[tuple[datetime, datetime], _VersionSource] = {}
        for source in by_id.values():
            v = source.version
            if v is None:
                continue
            stamp = (v.effective_from, v.published_at)
            if stamp in stamps:
                other = stamps[stamp]
                self.error(
                    "version-conflict",
                    f"versions {other.raw['version']!r} and {v.id!r} have the same effective_from and published_at, "
                    "so neither can be chosen over the other",
                    source.document.source.span(("published_at",)),
                    "publish the correction later, or change its effective_from",
                )
            else:
                stamps[stamp] = source
        resolved: dict[str, Version | None] = {}
        for version_id in by_id:
            self._resolve_one(version_id, by_id, resolved, [])
        versions = [v for v in resolved.values() if v is not None]
        return tuple(sorted(versions, key=lambda v: (v.effective_from, v.published_at, v.id)))

    def _resolve_one(
        self,
        version_id: str,
        by_id: Mapping[str, _VersionSource],
        resolved: dict[str, Version | None],
        chain: list[str],
    ) -> Version | None:
        if version_id in resolved:
            return resolved[version_id]
        source = by_id[version_id]
        own = source.version
        base_id = source.raw.get("extends")
        if base_id is None or own is None:
            resolved[version_id] = own
            return own
        span = source.document.source.span(("extends",))
        if base_id not in by_id and str(base_id) in self.failed_versions:
            resolved[version_id] = None  # the base has errors of its own; they are reported there
            return None
        if len(chain) > _MAX_EXTENDS_DEPTH:
            self.error("bad-extends", f"extends chain longer than {_MAX_EXTENDS_DEPTH} versions", span,
                       "make one version in the chain a complete snapshot")
            resolved[version_id] = None
            return None
        if base_id not in by_id:
            close = difflib.get_close_matches(str(base_id), list(by_id), n=1)
            self.error("bad-extends", f"extends unknown version {base_id!r}", span,
                       f"did you mean `{close[0]}`?" if close else "versions: " + ", ".join(sorted(by_id)))
            resolved[version_id] = None
            return None
        if base_id in chain or base_id == version_id:
            loop = [*chain[chain.index(base_id):], version_id, base_id] if base_id in chain else [version_id, base_id]
            self.error("bad-extends", "extends forms a cycle: " + " -> ".join(loop), span,
                       "one version in the chain must be a complete snapshot without extends")
            resolved[version_id] = None
            return None
        base = self._resolve_one(base_id, by_id, resolved, [*chain, version_id])
        if base is None:
            resolved[version_id] = None
            return None
        base_ids = {r.id for r in base.rules}
        broken = {rule_id for version, rule_id in self.failed_rules if version == base_id}
        for index, removed in enumerate(own.removed):
            if removed not in base_ids and removed not in broken:
                close = difflib.get_close_matches(removed, sorted(base_ids), n=1)
                self.error("bad-extends", f"remove names {removed!r}, which version {base_id!r} does not have",
                           source.document.source.span(("remove", index)),
                           f"did you mean `{close[0]}`?" if close else None)
        replacements = {r.id: r for r in own.rules}
        rules = [replacements.pop(r.id, r) for r in base.rules if r.id not in own.removed]
        rules.extend(r for r in own.rules if r.id in replacements)
        version = replace(own, rules=tuple(rules))
        resolved[version_id] = version
        return version


def _get(data: Any, path: Iterable[str | int]) -> Any:
    for part in path:
        data = data[part]
    return data


def _fact_type(spec: Any) -> t.Type:
    if isinstance(spec, dict):
        return t.enum_of(list(spec["enum"]))
    return t.scalar(str(spec))


def _find_cycle(start: str, graph: Mapping[str, list[str]]) -> list[str] | None:
    """A cycle through ``start`` in ``graph``, as the list of its nodes, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        node, trail = stack.pop()
        for nxt in graph.get(node, ()):
            if nxt == start:
                return trail
            if nxt not in visited:
                visited.add(nxt)
                stack.append((nxt, [*trail, nxt]))
    return None


def _zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def _spoken(gap: timedelta) -> str:
    """A wall-clock gap in words: ``7 days``, ``15 minutes``, ``1 day 2 hours``."""
    parts = [(gap.days, "day"), (gap.seconds // 3600, "hour"), (gap.seconds // 60 % 60, "minute"),
             (gap.seconds % 60, "second")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or "0 seconds"
