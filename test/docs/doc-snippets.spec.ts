import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const REPO = path.resolve(__dirname, '../../..');

/** A fenced ```ts block of a Markdown file. */
interface Snippet {
  /** Markdown file, relative to the repo. */
  file: string;
  /** 1-based line of the first code line. */
  line: number;
  /** Words after the language: `no-check` (not compiled), `run` (compiled and run). */
  flags: string[];
  code: string;
}

/** The README and every guide in docs/ (not the generated API reference). */
function markdownFiles(): string[] {
  const guides = fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...guides];
}

/** The ```ts / ```typescript blocks of a Markdown text. */
export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript)\b(.*)$/.exec(lines[i]);
    if (open === null) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) body.push(lines[j++].slice(open[1].length));
    out.push({ file, line: i + 2, flags: open[3].trim().split(/\s+/).filter((f) => f !== ''), code: body.join('\n') });
    i = j;
  }
  return out;
}

function snippetName(s: Snippet): string {
  return `${s.file.replace(/[^a-zA-Z0-9]+/g, '-')}-L${s.line}`;
}

/** Compiler options of the project, with `floe` mapped to the built package's types. */
function compilerOptions(rootDir: string, outDir: string): ts.CompilerOptions {
  const configFile = ts.readConfigFile(path.join(REPO, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, REPO);
  return {
    ...parsed.options,
    rootDir,
    outDir,
    declaration: false,
    sourceMap: false,
    noEmit: false,
    types: ['node'],
    baseUrl: REPO,
    paths: { floe: ['dist/src/index.d.ts'] },
  };
}

describe('TypeScript snippets in the README and guides', () => {
  const snippets = markdownFiles().flatMap((f) => extractSnippets(fs.readFileSync(path.join(REPO, f), 'utf8'), f));
  const checked = snippets.filter((s) => !s.flags.includes('no-check'));
  // Inside the package, so a compiled snippet's require('floe') resolves to this package (self-reference).
  const work = path.join(REPO, 'tmp', `doc-snippets-${process.pid}`);
  const outDir = path.join(work, 'out');
  let emitted = false;

  before(() => {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('finds the snippets', () => {
    assert.ok(checked.length >= 5, `expected TypeScript snippets in the guides, found ${checked.length}`);
    for (const s of snippets) {
      const unknown = s.flags.filter((f) => f !== 'no-check' && f !== 'run');
      assert.deepEqual(unknown, [], `${s.file}:${s.line - 1}: unknown snippet flag (use \`\`\`ts, \`\`\`ts run or \`\`\`ts no-check)`);
    }
  });

  it('compile against the built package (mark excerpts ```ts no-check)', () => {
    const files = checked.map((s) => {
      const file = path.join(work, `${snippetName(s)}.ts`);
      // A snippet without imports or exports would be a script sharing one global scope with the others.
      const isModule = /^\s*(import|export)\s/m.test(s.code);
      fs.writeFileSync(file, `${s.code}\n${isModule ? '' : 'export {};\n'}`);
      return file;
    });
    const program = ts.createProgram(files, compilerOptions(work, outDir));
    const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || files.includes(path.resolve(d.file.fileName)));
    const messages = diagnostics.map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (d.file === undefined || d.start === undefined) return text;
      const snippet = checked[files.indexOf(path.resolve(d.file.fileName))];
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${snippet.file}:${snippet.line + line}:${character + 1}: ${text}`;
    });
    assert.deepEqual(messages, []);
    const result = program.emit();
    assert.equal(result.emitSkipped, false);
    emitted = true;
  });

  for (const s of checked.filter((x) => x.flags.includes('run'))) {
    it(`runs ${s.file}:${s.line - 1}`, function () {
      if (!emitted) this.skip();
      const script = path.join(outDir, `${snippetName(s)}.js`);
      const run = spawnSync(process.execPath, [script], {
        cwd: work,
        encoding: 'utf8',
        timeout: 60_000,
        // As on a user's machine with several cores: `distributed: auto` means worker threads.
        env: { ...process.env, FLOE_DISTRIBUTED: 'threads' },
      });
      assert.equal(run.status, 0, `${s.file}:${s.line - 1} exited with ${run.status}:\n${run.stderr}\n${run.stdout}`);
    });
  }
});
