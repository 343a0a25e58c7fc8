import { Document, isMap, isScalar, isSeq, visit, YAMLError } from 'yaml';

/** A YAML syntax error as a recipe's author should read it: what to fix, and where. */
export interface YamlSyntaxProblem {
  /** What is wrong, in the recipe's terms. */
  message: string;
  /** Offset in the text where the fix belongs. */
  offset: number;
}

/**
 * The parser's errors, reworded where its text names its own grammar ("Nested mappings are not
 * allowed in compact mappings") and placed where the mistake is: the opening quote or bracket that
 * is never closed (the parser reports the end of the file), the line indented too deep (it reports
 * the line above). One problem per mistake: the parser often reports one slip twice.
 */
export function yamlSyntaxProblems(doc: Document, text: string): YamlSyntaxProblem[] {
  const problems: YamlSyntaxProblem[] = [];
  const errors = doc.errors;
  errors.forEach((error, i) => {
    const [start, end] = error.pos;
    const raw = firstLine(error);
    // An over-indented line gives both; the second says nothing more.
    if (error.code === 'MULTILINE_IMPLICIT_KEY' && errors.some((e, j) => j < i && e.code === 'BLOCK_AS_IMPLICIT_KEY' && e.pos[0] === start)) return;
    if (/multiple documents/.test(raw)) {
      problems.push({ message: 'the file holds more than one YAML document (a `---` line): a recipe is one document', offset: start });
    } else if (error.code === 'TAB_AS_INDENT') {
      problems.push({ message: 'a tab indents this line: YAML indents with spaces only', offset: start });
    } else if (error.code === 'BLOCK_AS_IMPLICIT_KEY') {
      const next = nextContentLine(text, start);
      const above = clip(lineText(text, start).trim());
      problems.push({ message: `this line is indented deeper than '${above}' above it, which already has a value: keys of one mapping start in the same column`, offset: next ?? start });
    } else if (error.code === 'MULTILINE_IMPLICIT_KEY') {
      problems.push({ message: `'${clip(lineText(text, start).trim())}' has no ':' after its key, so the next line was read as part of it: write key: value`, offset: start });
    } else if (error.code === 'MISSING_CHAR' && /map values/.test(raw)) {
      const written = clip(text.slice(start, end).trim());
      const glued = /^([^\s:]+):(\S.*)$/.exec(written);
      const fix = glued === null ? `write key: value` : `put a space after the colon (${glued[1]}: ${glued[2]})`;
      problems.push({ message: `'${written}' is not a key: value pair: ${fix}`, offset: start });
    } else if (error.code === 'MISSING_CHAR' && /closing .quote/.test(raw)) {
      const opening = nodeEndingAt(doc, start, 'quote');
      const quote = raw.includes('"') ? '"' : "'";
      problems.push({ message: `the ${quote} that opens this string is never closed: it runs to the end of the file`, offset: opening ?? start });
    } else if (error.code === 'BAD_INDENT' && /same column/.test(raw)) {
      const line = lineText(text, start);
      const indent = line.length - line.trimStart().length;
      const lineStart = text.lastIndexOf('\n', start - 1) + 1;
      problems.push({ message: `'${clip(line.trim())}' is indented to column ${indent + 1}, in line with no key above it: keys of one mapping start in the same column`, offset: lineStart + indent });
    } else if ((error.code === 'BAD_INDENT' || error.code === 'MISSING_CHAR') && /^Flow (map|sequence)/.test(raw)) {
      const opening = nodeEndingAt(doc, start, 'flow');
      const [open, close] = /^Flow map/.test(raw) ? ['{', '}'] : ['[', ']'];
      const fix = error.code === 'MISSING_CHAR' ? `add the '${close}'` : `end it with '${close}' on its line, or indent its continuation lines`;
      problems.push({ message: `the '${open}' opened here is not closed: ${fix}`, offset: opening ?? start });
    } else {
      problems.push({ message: raw, offset: start });
    }
  });
  return problems;
}

function firstLine(error: YAMLError): string {
  return clip(error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''), 200);
}

/** A quoted piece of the file, cut short: a long or garbled line would fill the screen. */
function clip(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The text of the line holding `offset`. */
function lineText(text: string, offset: number): string {
  const begin = text.lastIndexOf('\n', offset - 1) + 1;
  const stop = text.indexOf('\n', offset);
  return text.slice(begin, stop === -1 ? text.length : stop).replace(/\r$/, '');
}

/** Offset of the first non-blank character of the next line after `offset` with content (not a comment). */
function nextContentLine(text: string, offset: number): number | undefined {
  const re = /\n([ \t]*)([^ \t\r\n#])/g;
  re.lastIndex = offset;
  const m = re.exec(text);
  return m === null ? undefined : m.index + 1 + m[1].length;
}

/** Start of the quoted scalar or flow collection the parser ran to `offset` looking for its closing character. */
function nodeEndingAt(doc: Document, offset: number, kind: 'quote' | 'flow'): number | undefined {
  let found: number | undefined;
  visit(doc, (_key, node) => {
    const range = (node as { range?: [number, number, number] }).range;
    if (range === undefined || range[1] !== offset) return;
    const fits = kind === 'quote' ? isScalar(node) && /^QUOTE_/.test(String(node.type)) : (isMap(node) || isSeq(node)) && node.flow === true;
    if (fits) found = range[0];
  });
  return found;
}
