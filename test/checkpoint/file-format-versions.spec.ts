import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { useCheckpointCopies } from './fixtures/checkpoint-copies';

/**
 * manifest.json, trainer-state.json and model-config.json carry `format` and `version`: a file of
 * another kind, or one a newer Floe wrote, is refused naming the file, the field, the value found
 * and what this Floe reads (they loaded, read as this Floe's format).
 */
describe('checkpoint file formats and versions', () => {
  const copies = useCheckpointCopies('floe-file-formats-');
  const newer = 'version is 2: written by a newer Floe (version 2); this Floe reads version 1. Load it with the newer Floe that wrote it.';

  /** Edits step 4's manifest.json in place, without rebuilding it (its checksums stay right). */
  function editManifest(edit: (json: Record<string, unknown>) => void): void {
    const file = path.join(copies.step4, 'manifest.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    edit(json);
    fs.writeFileSync(file, JSON.stringify(json, null, 2));
  }
  const manifestRefused = (problem: string) => (message: string): void => {
    assert.ok(message.startsWith(`Checkpoint manifest '${path.join(copies.step4, 'manifest.json')}': ${problem}\nThe newest checkpoint before it is `), message);
  };

  describe('manifest.json', () => {
    it('refuses a version written by a newer Floe', async () => {
      editManifest((json) => {
        json.version = 2;
      });
      await copies.bothRefuse(manifestRefused(newer));
    });

    it('refuses another format, and a manifest without format or version (every Floe wrote both)', async () => {
      editManifest((json) => {
        json.format = 'floe-trainer-state';
      });
      await copies.bothRefuse(manifestRefused('format is "floe-trainer-state", expected "floe-manifest" (a file of another kind).'));
      editManifest((json) => {
        json.format = 'floe-manifest';
        delete json.version;
      });
      await copies.bothRefuse(manifestRefused('version is undefined, expected version 1 (every Floe writes it).'));
      editManifest((json) => {
        delete json.format;
      });
      await copies.bothRefuse(manifestRefused('format is undefined, expected "floe-manifest" (every Floe writes it).'));
    });
  });

  describe('trainer-state.json', () => {
    const refused = (problem: string) => (message: string): void => {
      assert.equal(message, `Invalid trainer state '${path.join(copies.step4, 'trainer-state.json')}': ${problem}`);
    };

    it('refuses a version written by a newer Floe, without judging its fields by this version', async () => {
      await copies.editJson('trainer-state.json', (json) => {
        json.version = 2;
        json.state.position = json.state.batchInEpoch;
        delete json.state.batchInEpoch;
      });
      await copies.bothRefuse(refused(newer));
    });

    it('refuses another kind of file and a non-integer version', async () => {
      await copies.editJson('trainer-state.json', (json) => {
        json.format = 'floe-model-config';
      });
      await copies.bothRefuse(refused('format is "floe-model-config", expected "floe-trainer-state" (a file of another kind).'));
      await copies.editJson('trainer-state.json', (json) => {
        json.format = 'floe-trainer-state';
        json.version = '1';
      });
      await copies.bothRefuse(refused('version is "1", expected version 1 (every Floe writes it).'));
    });

    it('shows a version beyond a number as read (1e400 parses as Infinity), not as JSON null', async () => {
      const file = path.join(copies.step4, 'trainer-state.json');
      await copies.rewrite('trainer-state.json', fs.readFileSync(file, 'utf8').replace(/"version": 1\b/, '"version": 1e400'));
      await copies.bothRefuse(refused('version is Infinity, expected version 1 (every Floe writes it).'));
    });
  });

  describe('model-config.json', () => {
    it('refuses a version written by a newer Floe, though a resume does not read the file', async () => {
      await copies.editJson('model-config.json', (json) => {
        json.version = 2;
      });
      await copies.bothRefuse((message) => {
        assert.equal(message, `Invalid model config '${path.join(copies.step4, 'model-config.json')}': ${newer}`);
      });
    });

    it('refuses another kind of file', async () => {
      await copies.editJson('model-config.json', (json) => {
        json.format = 'floe-manifest';
      });
      await copies.bothRefuse((message) => {
        assert.equal(message, `Invalid model config '${path.join(copies.step4, 'model-config.json')}': format is "floe-manifest", expected "floe-model-config" (a file of another kind).`);
      });
    });
  });

  it('loads the files as every Floe so far wrote them', async () => {
    const resumed = await copies.resume(6);
    assert.equal(resumed.result.globalStep, 6);
  });
});
