import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../../..');

/** The README and every guide (not the generated API reference). */
function markdownFiles(): string[] {
  return ['README.md', ...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

/** Markdown without fenced code blocks and inline code, where links are not links. */
function prose(markdown: string): string {
  return markdown.replace(/^\s*```[\s\S]*?^\s*```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors (`## The CLI` → `the-cli`, repeats numbered) plus explicit `<a id>`s. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^\s*```[\s\S]*?^\s*```/gm, '');
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  return anchors;
}

describe('links in the README and guides', () => {
  for (const file of markdownFiles()) {
    it(`resolve in ${file}`, () => {
      const markdown = fs.readFileSync(path.join(REPO, file), 'utf8');
      const problems: string[] = [];
      for (const m of prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [filePart, anchor] = target.split('#', 2);
        const resolved = filePart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), filePart));
        const absolute = path.join(REPO, resolved);
        if (!fs.existsSync(absolute)) {
          problems.push(`${target}: ${resolved} does not exist`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(fs.readFileSync(absolute, 'utf8')).has(anchor)) {
          problems.push(`${target}: no heading or <a id> '${anchor}' in ${resolved}`);
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});
