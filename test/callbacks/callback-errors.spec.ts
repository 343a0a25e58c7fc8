import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Callback, CallbackConfig, CallbackList, DataError, register, runJob, Trainer, TrainerControl, TrainingError } from '../../src';
import { isolateRegistries } from '../support/isolated-registries';
import { captureLogger, tempDir, tinyRecipe } from './fixtures/tiny-run';

/** Throws from onLog: a plugin whose service is down. */
class WebhookCallback extends Callback {
  static override readonly type = 'webhook';
  override async onLog(): Promise<void> {
    throw new Error('webhook unreachable');
  }
}

describe('CallbackList errors', () => {
  const list = (cb: Callback): CallbackList => new CallbackList([cb], new TrainerControl());

  it("names the callback's type, class, hook and the plugin line of an error a hook throws", async () => {
    await assert.rejects(list(new WebhookCallback({} as Trainer, new CallbackConfig())).log({}), (e: Error) => {
      assert.ok(e instanceof TrainingError, String(e));
      assert.match(e.message, /^callback 'webhook' \(WebhookCallback\) failed in onLog\(\) at \S*callback-errors\.spec\.js:\d+:\d+: webhook unreachable$/);
      assert.equal((e.cause as Error).message, 'webhook unreachable');
      return true;
    });
  });

  it("passes Floe's own errors through unchanged", async () => {
    const own = new DataError('no data');
    class Strict extends Callback {
      static override readonly type = 'strict';
      override async onEpochEnd(): Promise<void> {
        throw own;
      }
    }
    await assert.rejects(list(new Strict({} as Trainer, new CallbackConfig())).epochEnd(), (e: unknown) => e === own);
  });
});

describe('a throwing callback in a run', () => {
  isolateRegistries();
  it("fails the run with the callback named in the error and in status.json", async () => {
    register(WebhookCallback);
    const dir = tempDir('callback-errors');
    try {
      const outputDir = path.join(dir, 'run');
      await assert.rejects(
        runJob(tinyRecipe(outputDir, { distributed: 'none', checkpoint: [], callbacks: [{ type: 'webhook' }] }), { logger: captureLogger() }),
        /^TrainingError: callback 'webhook' \(WebhookCallback\) failed in onLog\(\)/,
      );
      const status = JSON.parse(fs.readFileSync(path.join(outputDir, 'status.json'), 'utf8')) as { state: string; error: string };
      assert.equal(status.state, 'failed');
      assert.match(status.error, /^callback 'webhook' \(WebhookCallback\) failed in onLog\(\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
