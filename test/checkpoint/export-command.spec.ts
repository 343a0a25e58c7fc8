import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { TfjsFileHandler, loadCheckpointModel, readSafetensors, writeManifest } from '../../src/checkpoint';
import { GptModel, LanguageModelTrainer } from '../../src';
import { maxAbsDiff } from '../support/tensors';
import { parseSafetensorsBytes } from './fixtures/parse-safetensors-bytes';
import { runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';
import { cli } from '../support/cli-run';


describe('floe export', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let run: string;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-export-'));
    run = path.join(dir, 'run');
    await runRecorded(tinyGptRecipe(run, { trainIters: 6, checkpoint: [{ type: 'floe', saveEveryNSteps: 3 }] }));
  });
  after(() => cleanup());

  it('--format safetensors writes the newest checkpoint\'s weights by Floe name, which a recipe can start from', async () => {
    const out = path.join(dir, 'st');
    const r = await cli('export', '--checkpoint', run, '--format', 'safetensors', '--out', out);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(r.out.join('\n'), /step-000006 \(step 6\) as safetensors to/);
    assert.deepEqual(fs.readdirSync(out).sort(), ['manifest.json', 'model-config.json', 'model.safetensors']);
    const exported = parseSafetensorsBytes(fs.readFileSync(path.join(out, 'model.safetensors')));
    const checkpoint = await readSafetensors(path.join(run, 'checkpoints', 'step-000006', 'model.safetensors'));
    assert.deepEqual([...exported.tensors.keys()].sort(), [...checkpoint.tensors.keys()]);
    for (const [name, t] of checkpoint.tensors) assert.deepEqual(exported.tensors.get(name)?.values, [...t.data], name);

    // Exporting again needs --overwrite.
    const again = await cli('export', '--checkpoint', run, '--format', 'safetensors', '--out', out);
    assert.equal(again.code, 1);
    assert.match(again.err.join('\n'), /^error: --out '.*st' already exists: pass --overwrite to replace an earlier export there, or choose another --out\.$/);

    // A new run starts from the export with the same weights (architecture from model-config.json).
    let first: number[] | undefined;
    await runRecorded(tinyGptRecipe(path.join(dir, 'from-export'), { trainIters: 2, model: { type: 'gpt', from: out } }), {
      onTrainerReady: async (t) => {
        first = [...(await ((t as LanguageModelTrainer).gpt.params.get('blocks.0.attn.qkv.weight') as tf.Variable).data())];
      },
    });
    assert.deepEqual(first, exported.tensors.get('blocks.0.attn.qkv.weight')?.values);

    // A model-config.json of another format version is refused, not read as this one.
    const configFile = path.join(out, 'model-config.json');
    fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), version: 2 }));
    await writeManifest(out);
    await assert.rejects(runRecorded(tinyGptRecipe(path.join(dir, 'from-v2'), { trainIters: 2, model: { type: 'gpt', from: out } })), /Invalid model config '.*model-config\.json': version is 2: written by a newer Floe \(version 2\); this Floe reads version 1\./);
  });

  it("model.from a run folder finds the checkpoints where the run's floe engine kept them (a custom dir)", async () => {
    const custom = path.join(dir, 'custom-dir-run');
    await runRecorded(tinyGptRecipe(custom, { trainIters: 2, checkpoint: [{ type: 'floe', dir: 'ck' }] }));
    let loaded: number[] | undefined;
    await runRecorded(tinyGptRecipe(path.join(dir, 'from-custom'), { trainIters: 2, model: { type: 'gpt', from: custom } }), {
      onTrainerReady: async (t) => {
        loaded = [...(await ((t as LanguageModelTrainer).gpt.params.get('blocks.0.attn.qkv.weight') as tf.Variable).data())];
      },
    });
    const saved = await readSafetensors(path.join(custom, 'ck', 'step-000002', 'model.safetensors'));
    assert.deepEqual(loaded, [...(saved.tensors.get('blocks.0.attn.qkv.weight')?.data ?? [])]);
  });

  it('--format tfjs writes a graph model that predicts what the checkpoint\'s model does', async () => {
    const out = path.join(dir, 'web');
    const r = await cli('export', '--checkpoint', path.join(run, 'checkpoints', 'step-000003'), '--format', 'tfjs', '--out', out);
    assert.equal(r.code, 0, r.err.join('\n'));
    const loaded = await loadCheckpointModel(path.join(run, 'checkpoints', 'step-000003'));
    const graph = await tf.loadGraphModel(new TfjsFileHandler(out));
    const ids = tf.tensor2d([[16, 0, 8, 14, 6, 5]], [1, 6], 'int32');
    try {
      assert.equal(loaded.step, 3);
      const a = graph.predict(ids) as tf.Tensor;
      const b = (loaded.model as GptModel).forward(ids);
      assert.ok(maxAbsDiff(await a.data(), await b.data()) < 1e-5);
      tf.dispose([a, b]);
    } finally {
      tf.dispose(ids);
      graph.dispose();
      loaded.dispose();
    }
    // The browser export is not a 'from' source: says what it is and what to use instead.
    await assert.rejects(runRecorded(tinyGptRecipe(path.join(dir, 'from-tfjs'), { trainIters: 2, model: { type: 'gpt', from: out } })), (e: Error) => {
      assert.equal(e.name, 'CheckpointError', e.message);
      assert.match(e.message, /it is a tfjs export \(model\.json\), made for tf\.loadGraphModel in the browser, not for 'from'\. .*floe export --format safetensors/);
      return true;
    });
  });

  it('--overwrite replaces an earlier export, never a run folder, a checkpoint, a file or the working folder', async () => {
    for (const format of ['safetensors', 'tfjs']) {
      const out = path.join(dir, `again-${format}`);
      assert.equal((await cli('export', '--checkpoint', run, '--format', format, '--out', out)).code, 0);
      const r = await cli('export', '--checkpoint', run, '--format', format, '--out', out, '--overwrite');
      assert.equal(r.code, 0, r.err.join('\n'));
    }
    const before = (p: string) => fs.readdirSync(p).sort();
    const checkpoint = path.join(run, 'checkpoints', 'step-000006');
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'keep');
    const refusals: Array<[string, RegExp]> = [
      [run, /it holds folders \(checkpoints\/\), which an export never has/],
      [checkpoint, /it holds files an export does not write \(.*(optimizer\.safetensors|trainer-state\.json)/],
      [file, /it is a file, not a folder/],
      [process.cwd(), /it is the working folder or holds it/],
    ];
    for (const [target, why] of refusals) {
      const listing = fs.statSync(target).isDirectory() ? before(target) : undefined;
      const r = await cli('export', '--checkpoint', run, '--format', 'safetensors', '--out', target, '--overwrite');
      assert.equal(r.code, 1, target);
      assert.match(r.err.join('\n'), why);
      assert.match(r.err.join('\n'), /--overwrite replaces only an earlier export; choose another --out/);
      if (listing !== undefined) assert.deepEqual(before(target), listing, `${target} is untouched`);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'keep');
  });

  it('names what is wrong with a bad checkpoint or format', async () => {
    const missing = await cli('export', '--checkpoint', path.join(dir, 'nope'), '--format', 'tfjs', '--out', path.join(dir, 'x'));
    assert.equal(missing.code, 1);
    assert.match(missing.err.join('\n'), /No Floe checkpoint at '.*nope': the path does not exist/);
    const format = await cli('export', '--checkpoint', run, '--format', 'onnx', '--out', path.join(dir, 'x'));
    assert.equal(format.code, 1);
    assert.match(format.err.join('\n'), /onnx/);
    // A step-N folder among the run's checkpoints would pass for one (and be pruned by keepLast).
    const among = await cli('export', '--checkpoint', run, '--format', 'safetensors', '--out', path.join(run, 'checkpoints', 'step-000100'));
    assert.equal(among.code, 1);
    assert.match(among.err[0], /^error: --out '.*step-000100' is a step-N folder among the floe checkpoints in .*checkpoints: the run would take the export for one of its checkpoints .* e\.g\. .*run\/exports\/step-000100\.$/);
    assert.equal(fs.existsSync(path.join(run, 'checkpoints', 'step-000100')), false);
    const inside = await cli('export', '--checkpoint', run, '--format', 'tfjs', '--out', path.join(run, 'checkpoints', 'step-000003', 'web'));
    assert.equal(inside.code, 1);
    assert.match(inside.err[0], /^error: --out '.*step-000003\/web' is inside the checkpoint .*step-000003: the export would be deleted with it when keepLast prunes it\./);
    // An empty flag (an unset shell variable) is named, not taken as the working folder.
    const emptyOut = await cli('export', '--checkpoint', run, '--format', 'tfjs', '--out', '', '--overwrite');
    assert.equal(emptyOut.code, 1);
    assert.match(emptyOut.err[0], /^error: --out needs a value: the folder to write the export to/);
    for (const argv of [
      ['export', '--checkpoint', '', '--format', 'tfjs', '--out', path.join(dir, 'x')],
      ['generate', '--checkpoint', '', '--prompt', 'a'],
      ['predict', '--checkpoint', '', '--input', 'rows.jsonl'],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 1, argv[0]);
      assert.match(r.err[0], /^error: --checkpoint needs a value: a checkpoint folder/, argv[0]);
    }
  });

  it("reports a saved recipe that no longer validates as the checkpoint's, not as a recipe the user passed", async () => {
    const tokenizer = path.join(dir, 'tiny-tokenizer.json');
    fs.renameSync(tokenizer, `${tokenizer}.moved`);
    try {
      const moved = await cli('export', '--checkpoint', run, '--format', 'safetensors', '--out', path.join(dir, 'moved'));
      assert.equal(moved.code, 1);
      const message = moved.err.join('\n');
      const checkpoint = path.join(run, 'checkpoints', 'step-000006');
      assert.ok(message.includes(`Checkpoint ${checkpoint} cannot be loaded: the recipe it was trained with (${path.join(checkpoint, 'recipe.yaml')}) is not valid here`), message);
      assert.match(message, /tokenizer\.path/);
      assert.doesNotMatch(message, /Invalid recipe/);
    } finally {
      fs.renameSync(`${tokenizer}.moved`, tokenizer);
    }
  });
});
