import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, Node, parseDocument, visit } from 'yaml';
import { ConfigError, ConfigIssue, SourceLocation } from '../errors';
import { joinPath } from './config-path';
import { SourceMap } from './source-map';
import { yamlSyntaxProblems } from './yaml-syntax-errors';

/** A parsed YAML file: its plain value and where each part of it is. */
export interface YamlSource {
  /** The parsed document. */
  value: unknown;
  /** Where each value and key is in the file. */
  sourceMap: SourceMap;
}

/**
 * Parses YAML text, rejecting syntax errors and duplicate keys (each with its config path and
 * file:line:col, all at once), and records the location of every key and value.
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  // A checkpoint or other binary file given as a recipe made thousands of "syntax errors" of garbage.
  if (text.includes('\u0000')) {
    throw new ConfigError([{ path: '', message: `it is binary data (it has NUL bytes), not a YAML recipe: give the recipe's .yaml file` }], `Cannot parse ${file}`);
  }
  const lineCounter = new LineCounter();
  // Duplicate keys are found while walking the tree, where their config path is known.
  // Merge keys (`<<: *defaults`) as in PyYAML: YAML 1.2 dropped them, but configs use them.
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter, prettyErrors: false, merge: true });
  const at = (offset: number): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col };
  };
  const issues: ConfigIssue[] = yamlSyntaxProblems(doc, text).map((p) => ({ path: '', message: `YAML syntax error: ${p.message}`, location: at(p.offset) }));
  const sourceMap = new SourceMap();
  sourceMap.values.set('', { file, line: 1, col: 1 });
  const keyIssues: ConfigIssue[] = [];
  if (doc.contents !== null) walk(doc.contents as Node, '', { map: sourceMap, at, issues: keyIssues, doc, stack: [] });
  keyIssues.push(...unresolvedAliasIssues(doc, at));
  // Past a syntax error the tree is the parser's guess: a tab-indented key read as a sibling is no real duplicate.
  const firstError = Math.min(...doc.errors.map((e) => e.pos[0]));
  const before = at(firstError);
  issues.push(...keyIssues.filter((i) => doc.errors.length === 0 || (i.location !== undefined && (i.location.line < before.line || (i.location.line === before.line && i.location.col < before.col)))));
  issues.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0));
  // Past the first few, syntax errors are mostly the parser losing its way after the first (a file that is not YAML).
  if (issues.length > MAX_SYNTAX_ISSUES) {
    const rest = issues.length - MAX_SYNTAX_ISSUES;
    issues.splice(MAX_SYNTAX_ISSUES, rest, { path: '', message: `… and ${rest} more after these (fix the first ones first; is ${file} a YAML recipe?)` });
  }
  if (issues.length > 0) throw new ConfigError(issues, `Cannot parse ${file}`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // Aliases that expand past the limit (a "billion laughs" file) or refer to themselves.
    throw new ConfigError([{ path: '', message: `YAML aliases: ${(error as Error).message}`, location: { file, line: 1, col: 1 } }], `Cannot parse ${file}`);
  }
  return { value: value ?? {}, sourceMap };
}

/**
 * An alias with no anchor before it (`*base` above `&base`, or misspelt; toJS throws a bare
 * ReferenceError), or inside the value it names (a cycle that overflowed the stack later).
 */
function unresolvedAliasIssues(doc: Document, at: (offset: number) => SourceLocation): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const anchors = new Set<string>();
  visit(doc, (_key, node, ancestors) => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target !== undefined && (ancestors as readonly unknown[]).includes(target)) {
        const message = `YAML alias '*${node.source}' is inside the value anchored '&${node.source}': that value would contain itself`;
        issues.push({ path: '', message, location: node.range ? at(node.range[0]) : undefined });
      }
      if (target !== undefined) return;
      const known = anchors.size === 0 ? 'no anchors are defined above it' : `anchors defined above it: ${[...anchors].map((a) => `&${a}`).join(', ')}`;
      issues.push({ path: '', message: `YAML alias '*${node.source}' has no anchor '&${node.source}' before it (${known})`, location: node.range ? at(node.range[0]) : undefined });
    } else if (typeof node === 'object' && node !== null && typeof (node as { anchor?: unknown }).anchor === 'string') {
      anchors.add((node as { anchor: string }).anchor);
    }
  });
  return issues;
}

/** Syntax problems listed at most (a file that is not YAML at all has thousands). */
const MAX_SYNTAX_ISSUES = 10;

interface WalkContext {
  map: SourceMap;
  at: (offset: number) => SourceLocation;
  issues: ConfigIssue[];
  doc: Document;
  /** Nodes being walked, so an alias of an enclosing node is not followed again. */
  stack: Node[];
}

function walk(node: Node, path: string, outer: WalkContext): void {
  // An anchor aliased inside itself (`a: &x [*x]`) is walked once.
  if (outer.stack.includes(node)) return;
  const ctx = { ...outer, stack: [...outer.stack, node] };
  const { map, at } = ctx;
  if (isAlias(node)) {
    // What an alias stands for is written at its anchor: a setting in it is located there.
    const target = node.resolve(ctx.doc) as Node | undefined;
    if (target !== undefined) walk(target, path, { ...ctx, issues: [] });
    return;
  }
  if (isMap(node)) {
    const seen = new Map<string, SourceLocation | undefined>();
    // `<<: *a` or `<<: [*a, *b]`: the merged mappings' keys, located at their anchors; own keys win,
    // then earlier sources over later ones (walked last to first, each overwriting).
    for (const pair of node.items.filter((p) => isMergeKey(p.key))) {
      const sources = isSeq(pair.value) ? [...pair.value.items].reverse() : [pair.value];
      for (const source of sources) if (source !== null && source !== undefined) walk(source as Node, path, { ...ctx, issues: [] });
    }
    for (const pair of node.items) {
      if (isMergeKey(pair.key)) continue;
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const childPath = joinPath(path, key);
      const keyLoc = keyNode?.range ? at(keyNode.range[0]) : undefined;
      if (seen.has(key)) {
        const first = seen.get(key);
        const firstAt = first === undefined ? '' : ` (first at line ${first.line}:${first.col})`;
        ctx.issues.push({ path: childPath, message: `duplicate key '${key}'${firstAt}; each key may appear once per mapping`, location: keyLoc });
        continue;
      }
      seen.set(key, keyLoc);
      if (keyLoc !== undefined) map.keys.set(childPath, keyLoc);
      const valueNode = pair.value as Node | null;
      const valueLoc = valueNode?.range ? at(valueNode.range[0]) : keyLoc;
      if (valueLoc !== undefined) map.values.set(childPath, valueLoc);
      if (valueNode !== null && valueNode !== undefined) walk(valueNode, childPath, ctx);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const childPath = joinPath(path, i);
      const itemNode = item as Node;
      if (itemNode?.range) map.values.set(childPath, at(itemNode.range[0]));
      if (itemNode !== null && itemNode !== undefined) walk(itemNode, childPath, ctx);
    });
  }
}

/** The `<<` of a merge (a plain `<<`; a quoted "<<" is an ordinary key). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol';
}
