import { strict as assert } from 'assert';
import { plainToInstance } from 'class-transformer';
import { DistributedConfig, DistributedSetupError, mpiLaunch, oversubscriptionWarning, planDistributed, validateRecipe } from '../../src';

const config = (fields: Partial<DistributedConfig> = {}): DistributedConfig => plainToInstance(DistributedConfig, fields);

describe('planDistributed', () => {
  it('auto: worker threads, one per usable core, when there is more than one', () => {
    assert.deepEqual(planDistributed(config(), {}, 2), { backend: 'threads', workers: 2, timeoutMs: 300_000, youngGenerationMb: 128, pretenuring: false });
    assert.deepEqual(planDistributed(config(), {}, 1), { backend: 'none', workers: 1, timeoutMs: 300_000, youngGenerationMb: 128, pretenuring: false });
    assert.equal(planDistributed(config({ workers: 1 }), {}, 8).backend, 'none');
    assert.equal(planDistributed(config({ workers: 3 }), {}, 1).workers, 3);
  });

  it('auto: mpi when mpirun started the process (Open MPI, PMIx or PMI variables)', () => {
    assert.deepEqual(planDistributed(config(), { OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '2' }, 2), { backend: 'mpi', workers: 4, timeoutMs: 300_000, youngGenerationMb: 128, pretenuring: false });
    assert.equal(planDistributed(config(), { PMIX_RANK: '0' }, 2).backend, 'mpi');
    assert.deepEqual(mpiLaunch({ PMI_SIZE: '3', PMI_RANK: '1' }), { rank: 1, size: 3 });
    assert.equal(mpiLaunch({}), undefined);
  });

  it('FLOE_DISTRIBUTED decides what auto means; an explicit recipe choice wins', () => {
    assert.equal(planDistributed(config(), { FLOE_DISTRIBUTED: 'none' }, 2).backend, 'none');
    assert.equal(planDistributed(config({ backend: 'threads' }), { FLOE_DISTRIBUTED: 'none' }, 2).backend, 'threads');
    assert.throws(() => planDistributed(config(), { FLOE_DISTRIBUTED: 'gloo' }, 2), /FLOE_DISTRIBUTED=gloo is not a distributed backend. Supported: auto, threads, mpi, none/);
    assert.throws(() => planDistributed(config(), { FLOE_DISTRIBUTED: 'thread' }, 2), /FLOE_DISTRIBUTED=thread is not a distributed backend. Supported: auto, threads, mpi, none\. Did you mean 'threads'\?/);
  });

  it('warns when more worker threads than cores were asked for', () => {
    assert.equal(oversubscriptionWarning(2, 2), undefined);
    assert.equal(oversubscriptionWarning(1, 4), undefined);
    assert.equal(oversubscriptionWarning(3, 2), '3 worker threads on 2 usable cores: they share the cores, so each step waits for the slowest and tokens/s is usually lower than with 2 (distributed.workers: auto uses 2)');
    assert.match(oversubscriptionWarning(2, 1) ?? '', /^2 worker threads on 1 usable core: /);
  });

  it('explains backends that cannot run here', () => {
    assert.throws(() => planDistributed(config({ backend: 'mpi' }), {}, 2), (e: Error) => e instanceof DistributedSetupError && /needs the job started by mpirun/.test(e.message));
    assert.throws(() => planDistributed(config({ backend: 'threads' }), { OMPI_COMM_WORLD_SIZE: '2' }, 2), /cannot run inside mpirun/);
  });

  it('refuses none under mpirun with several ranks: each would train its own run into one folder', () => {
    const under2 = { OMPI_COMM_WORLD_SIZE: '2', OMPI_COMM_WORLD_RANK: '1' };
    assert.throws(
      () => planDistributed(config({ backend: 'none' }), under2, 2),
      (e: Error) => e instanceof DistributedSetupError && /^distributed\.backend 'none' cannot run inside mpirun \(2 ranks\): every rank would train its own copy .*Use backend 'mpi' \(or 'auto'\)/.test(e.message),
    );
    assert.throws(() => planDistributed(config(), { ...under2, FLOE_DISTRIBUTED: 'none' }, 2), /: FLOE_DISTRIBUTED=none cannot run inside mpirun \(2 ranks\)/);
    // mpirun -np 1 is one process: none is fine there.
    assert.equal(planDistributed(config({ backend: 'none' }), { OMPI_COMM_WORLD_SIZE: '1' }, 2).backend, 'none');
  });

  it('is a recipe section with a string shorthand, validated like the rest', async () => {
    const base = { type: 'sft', tokenizer: { type: 'byte' }, data: { type: 'sft', sources: [{ type: 'synthetic', task: 'addition', count: 10 }] } };
    assert.equal((await validateRecipe({ ...base, distributed: 'threads' })).config.distributed.backend, 'threads');
    const { config: c } = await validateRecipe({ ...base, distributed: { workers: 4, timeoutSec: 30 } });
    assert.deepEqual({ ...c.distributed }, { backend: 'auto', workers: 4, timeoutSec: 30, workerYoungGenerationMb: 128, allocationSitePretenuring: false });
    await assert.rejects(validateRecipe({ ...base, distributed: { workerYoungGenerationMb: 1.5 } }), /distributed\.workerYoungGenerationMb: .*integer/);
    await assert.rejects(validateRecipe({ ...base, distributed: { allocationSitePretenuring: 'yes' } }), /distributed\.allocationSitePretenuring: .*boolean/);
    // A list, a number or a boolean is refused naming the choices, at its line (a list used to pass and crash at startup).
    for (const bad of [[], 5, true]) {
      const shown = JSON.stringify(bad);
      await assert.rejects(validateRecipe({ ...base, distributed: bad }), (e: Error) => e.message.includes(`distributed.backend: must be one of the following values: auto, threads, mpi, none, got ${shown}`));
      await assert.rejects(validateRecipe({ ...base, backend: bad }), (e: Error) => e.message.includes(`backend.name: must be one of the following values: auto, wasm, cpu, tensorflow, tensorflow-gpu, got ${shown}`));
    }
    // null unsets, as everywhere in a recipe: the defaults.
    assert.equal((await validateRecipe({ ...base, distributed: null })).config.distributed.backend, 'auto');
    await assert.rejects(validateRecipe({ ...base, distributed: { backend: 'nccl', workers: 0 } }), /distributed\.backend: must be one of the following values: auto, threads, mpi, none, got "nccl".*distributed\.workers: must be 'auto' or a whole number >= 1, got 0/s);
  });
});
