/**
 * Generation speed with and without the KV cache (`generate(..., { kvCache })`), greedy, on the
 * wasm backend, for a small and a larger GPT; runs alternate so drift weighs on both alike.
 *
 *   node dist/bench/generate-bench.js [--rounds N]
 */
import { initBackend } from '../src/backend';
import { generate, GptModel } from '../src/model';
import { Rng } from '../src/random';
import { spread } from './stats';

interface GenerateCase {
  label: string;
  dim: number;
  layers: number;
  heads: number;
  maxLength: number;
  prompt: number;
  newTokens: number;
  /** Generations per timing, so each lasts long enough to time (a short one is mostly noise). */
  repeats: number;
}

const CASES: GenerateCase[] = [
  { label: 'd128, 2 layers, context 64 (quickstart size)', dim: 128, layers: 2, heads: 4, maxLength: 64, prompt: 8, newTokens: 48, repeats: 10 },
  { label: 'd256, 4 layers, context 256', dim: 256, layers: 4, heads: 8, maxLength: 256, prompt: 8, newTokens: 240, repeats: 1 },
  { label: 'd512, 4 layers, context 256', dim: 512, layers: 4, heads: 8, maxLength: 256, prompt: 8, newTokens: 240, repeats: 1 },
];

async function main(argv: readonly string[]): Promise<void> {
  const at = argv.indexOf('--rounds');
  const rounds = at >= 0 ? Number(argv[at + 1]) : 3;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, got '${argv[at + 1]}'`);
  await initBackend({ name: 'wasm' });
  console.log(`Greedy generation on wasm, ${rounds} alternating rounds per setup (median tokens/s)`);
  for (const c of CASES) {
    const model = new GptModel({ vocabSize: 256, maxLength: c.maxLength, layers: c.layers, heads: c.heads, dim: c.dim, ffnDim: 4 * c.dim }, new Rng(1));
    try {
      const prompt = Array.from({ length: c.prompt }, (_, i) => (i * 37) % 256);
      const rates = { cached: [] as number[], full: [] as number[] };
      let same = true;
      // One untimed pass each: V8 compiles the paths first.
      for (const kvCache of [true, false]) await generate(model, prompt, { maxNewTokens: c.newTokens, temperature: 0, kvCache });
      for (let r = 0; r < rounds; r++) {
        const outputs: number[][] = [];
        for (const kvCache of [true, false]) {
          const t0 = performance.now();
          for (let i = 0; i < c.repeats; i++) outputs.push(await generate(model, prompt, { maxNewTokens: c.newTokens, temperature: 0, kvCache }));
          rates[kvCache ? 'cached' : 'full'].push((c.repeats * c.newTokens) / ((performance.now() - t0) / 1000));
        }
        same &&= outputs.every((o) => o.join() === outputs[0].join());
      }
      const cached = spread(rates.cached).median;
      const full = spread(rates.full).median;
      console.log(
        `  ${c.label}, ${c.newTokens} new tokens: KV cache ${cached.toFixed(0)} tok/s, whole context ${full.toFixed(0)} tok/s, ` +
          `${(cached / full).toFixed(2)}×; same tokens: ${same ? 'yes' : 'NO'}`,
      );
    } finally {
      model.dispose();
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
