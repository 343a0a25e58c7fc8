import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument } from 'yaml';
import { ConfigError, ConfigIssue, SourceLocation } from '../errors';
import { joinPath } from './config-path';
import { SourceMap } from './source-map';

/** A parsed YAML file: its plain value and where each part of it is. */
export interface YamlSource {
  value: unknown;
  sourceMap: SourceMap;
}

/**
 * Parses YAML text, rejecting syntax errors and duplicate keys with file:line:col, and records
 * the location of every key and value.
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter, prettyErrors: false });
  const at = (offset: number): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col };
  };
  if (doc.errors.length > 0) {
    const lines = text.split('\n');
    const issues: ConfigIssue[] = doc.errors.map((error) => {
      const location = at(error.pos[0]);
      if (error.code === 'DUPLICATE_KEY') {
        const key = (lines[location.line - 1] ?? '').slice(location.col - 1).split(':')[0].trim();
        return { path: '', message: `duplicate key '${key}' (each key may appear once per mapping)`, location };
      }
      const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return { path: '', message: `YAML syntax error: ${message}`, location };
    });
    throw new ConfigError(issues, `Cannot parse ${file}`);
  }
  const sourceMap = new SourceMap();
  sourceMap.values.set('', { file, line: 1, col: 1 });
  if (doc.contents !== null) walk(doc.contents as Node, '', sourceMap, at);
  return { value: doc.toJS({ maxAliasCount: 1000 }) ?? {}, sourceMap };
}

function walk(node: Node, path: string, map: SourceMap, at: (offset: number) => SourceLocation): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const childPath = joinPath(path, key);
      const keyLoc = keyNode?.range ? at(keyNode.range[0]) : undefined;
      if (keyLoc !== undefined) map.keys.set(childPath, keyLoc);
      const valueNode = pair.value as Node | null;
      const valueLoc = valueNode?.range ? at(valueNode.range[0]) : keyLoc;
      if (valueLoc !== undefined) map.values.set(childPath, valueLoc);
      if (valueNode !== null && valueNode !== undefined) walk(valueNode, childPath, map, at);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const childPath = joinPath(path, i);
      const itemNode = item as Node;
      if (itemNode?.range) map.values.set(childPath, at(itemNode.range[0]));
      if (itemNode !== null && itemNode !== undefined) walk(itemNode, childPath, map, at);
    });
  }
}
