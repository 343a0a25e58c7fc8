import { strict as assert } from 'assert';
import { PretenuringHost, withoutPretenuring } from '../../src/distributed/pretenuring';

function host(fields: Partial<PretenuringHost> = {}): PretenuringHost & { calls: string[] } {
  const calls: string[] = [];
  return { execArgv: [], nodeOptions: undefined, setFlags: (flag) => calls.push(flag), calls, ...fields };
}

describe('withoutPretenuring', () => {
  it('turns the flag off for the body and back on after it', async () => {
    const h = host();
    const seen = await withoutPretenuring(false, async () => [...h.calls], h);
    assert.deepEqual(seen, ['--no-allocation-site-pretenuring']);
    assert.deepEqual(h.calls, ['--no-allocation-site-pretenuring', '--allocation-site-pretenuring']);
  });

  it('turns it back on when the body throws', async () => {
    const h = host();
    await assert.rejects(withoutPretenuring(false, async () => Promise.reject(new Error('rank failed')), h), /rank failed/);
    assert.deepEqual(h.calls, ['--no-allocation-site-pretenuring', '--allocation-site-pretenuring']);
  });

  it('keeps it off until the last of overlapping jobs ends', async () => {
    const h = host();
    let release!: () => void;
    const first = withoutPretenuring(false, () => new Promise<void>((resolve) => (release = resolve)), h);
    await withoutPretenuring(false, async () => undefined, h);
    assert.deepEqual(h.calls, ['--no-allocation-site-pretenuring'], 'the second job ended while the first still trains');
    release();
    await first;
    assert.deepEqual(h.calls, ['--no-allocation-site-pretenuring', '--allocation-site-pretenuring']);
  });

  it('leaves V8 alone when the recipe keeps pretenuring or Node was given the flag', async () => {
    for (const h of [
      host(),
      host({ execArgv: ['--no-allocation-site-pretenuring'] }),
      host({ execArgv: ['--allocation_site_pretenuring'] }),
      host({ nodeOptions: '--max-old-space-size=4096 --no_allocation_site_pretenuring' }),
    ]) {
      const enabled = h.execArgv.length === 0 && h.nodeOptions === undefined;
      assert.equal(await withoutPretenuring(enabled, async () => 7, h), 7);
      assert.deepEqual(h.calls, []);
    }
  });

  it('does not mistake a longer flag for it', async () => {
    const h = host({ execArgv: ['--allocation-site-pretenuring-extra'] });
    await withoutPretenuring(false, async () => undefined, h);
    assert.equal(h.calls.length, 2);
  });
});
