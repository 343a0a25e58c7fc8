import { runCli } from '../cli/main';

/** Markers around the generated part of a guide; the text between them is replaced. */
export const GENERATED_BEGIN = '<!-- BEGIN GENERATED: floe --help (npm run docs:recipes) -->';
/** See {@link GENERATED_BEGIN}. */
export const GENERATED_END = '<!-- END GENERATED -->';

async function helpOf(argv: string[]): Promise<string> {
  const lines: string[] = [];
  const code = await runCli([...argv, '--help'], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  if (code !== 0) throw new Error(`floe ${argv.join(' ')} --help exited with ${code}: ${lines.join('\n')}`);
  return lines.join('\n').trimEnd();
}

/** Every command's `--help`, as Markdown: a heading and a text block per command. */
export async function renderCliReference(): Promise<string> {
  const overview = await helpOf([]);
  const commands = [...overview.matchAll(/^ {2}floe (\S+)/gm)].map((m) => m[1]);
  const out = ['```text', overview, '```', ''];
  for (const command of commands) out.push(`### \`floe ${command}\``, '', '```text', await helpOf([command]), '```', '');
  return out.join('\n');
}

/** `markdown` with the text between the generated markers replaced by `generated`. */
export function spliceGenerated(markdown: string, generated: string, file: string): string {
  const begin = markdown.indexOf(GENERATED_BEGIN);
  const end = markdown.indexOf(GENERATED_END);
  if (begin < 0 || end < begin) throw new Error(`${file} needs the lines ${GENERATED_BEGIN} and ${GENERATED_END} around its generated part`);
  return `${markdown.slice(0, begin + GENERATED_BEGIN.length)}\n\n${generated.trim()}\n\n${markdown.slice(end)}`;
}
