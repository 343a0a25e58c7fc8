import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument } from 'yaml';
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
  const lineCounter = new LineCounter();
  // Duplicate keys are found while walking the tree, where their config path is known.
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter, prettyErrors: false });
  const at = (offset: number): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col };
  };
  const issues: ConfigIssue[] = yamlSyntaxProblems(doc, text).map((p) => ({ path: '', message: `YAML syntax error: ${p.message}`, location: at(p.offset) }));
  const sourceMap = new SourceMap();
  sourceMap.values.set('', { file, line: 1, col: 1 });
  const keyIssues: ConfigIssue[] = [];
  if (doc.contents !== null) walk(doc.contents as Node, '', { map: sourceMap, at, issues: keyIssues });
  // Past a syntax error the tree is the parser's guess: a tab-indented key read as a sibling is no real duplicate.
  const firstError = Math.min(...doc.errors.map((e) => e.pos[0]));
  const before = at(firstError);
  issues.push(...keyIssues.filter((i) => doc.errors.length === 0 || (i.location !== undefined && (i.location.line < before.line || (i.location.line === before.line && i.location.col < before.col)))));
  issues.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0));
  if (issues.length > 0) throw new ConfigError(issues, `Cannot parse ${file}`);
  return { value: doc.toJS({ maxAliasCount: 1000 }) ?? {}, sourceMap };
}

interface WalkContext {
  map: SourceMap;
  at: (offset: number) => SourceLocation;
  issues: ConfigIssue[];
}

function walk(node: Node, path: string, ctx: WalkContext): void {
  const { map, at } = ctx;
  if (isMap(node)) {
    const seen = new Map<string, SourceLocation | undefined>();
    for (const pair of node.items) {
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
