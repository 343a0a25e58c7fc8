import { strict as assert } from 'assert';
import { runCli } from '../../../src/cli/main';
import { nativeKernelsStatus } from '../../../src/backend/native';
import { isPackageInstalled } from '../../../src/backend/native-backend';
import { distributedEnv, loadMpiBinding } from '../../../src/distributed';

function mpiBuilt(): boolean {
  try {
    loadMpiBinding();
    return true;
  } catch {
    return false;
  }
}

describe('floe env', () => {
  it('prints the backend, the kernel overrides and the native kernels state', async () => {
    const lines: string[] = [];
    const code = await runCli(['env', '--backend', 'wasm'], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    assert.equal(code, 0, lines.join('\n'));
    const text = lines.join('\n');
    assert.match(text, /backend: wasm/);
    assert.match(text, /kernel overrides: .*BatchMatMul/);
    const native = nativeKernelsStatus();
    assert.match(text, native.active ? new RegExp(`native kernels: active, ${native.isa}`) : /native kernels: off \(/);
  });

  it('says which tfjs-node packages are missing, what distributed auto runs as, and whether the MPI addon loads', async () => {
    const lines: string[] = [];
    assert.equal(await runCli(['env', '--backend', 'wasm'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), 0);
    const text = lines.join('\n');
    const tfjsNode = isPackageInstalled('@tensorflow/tfjs-node');
    assert.match(text, tfjsNode ? /^tensorflow: @tensorflow\/tfjs-node installed$/m : /^not installed: .*@tensorflow\/tfjs-node \(backend tensorflow\)/m);
    // The test process sets FLOE_DISTRIBUTED=none, and env says that is why auto trains alone.
    assert.match(text, /^data parallel: distributed auto → none \(one process, one thread.*\) \(FLOE_DISTRIBUTED=none\)$/m);
    assert.match(text, mpiBuilt() ? /^mpi addon: built \(Open MPI v?[\d.]+\)$/m : /^mpi addon: not built or not loadable; Install Open MPI .*cd native\/mpi && npm run build.* \(tried floe-mpi: /m);
  });

  it('resolves distributed auto as a training job would: threads per usable core, mpi under mpirun, or the error', () => {
    assert.deepEqual(distributedEnv({}, 3).auto, { backend: 'threads', workers: 3 });
    assert.deepEqual(distributedEnv({}, 1).auto, { backend: 'none', workers: 1 });
    const under = distributedEnv({ OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '2' }, 2);
    assert.deepEqual([under.auto, under.mpiLaunch], [{ backend: 'mpi', workers: 4 }, { rank: 2, size: 4 }]);
    assert.match((distributedEnv({ FLOE_DISTRIBUTED: 'gloo' }, 2).auto as { error: string }).error, /FLOE_DISTRIBUTED=gloo is not a distributed backend/);
    assert.equal(distributedEnv({}, 2).mpi.available, mpiBuilt());
  });

  it('says why the MPI addon is unavailable, with the loader\'s reasons and the build steps', () => {
    // As on a machine where the addon was never built (or libmpi is missing): loading it fails.
    const Module = require('module') as { _load: (request: string, ...rest: unknown[]) => unknown };
    const load = Module._load;
    Module._load = function (request: string, ...rest: unknown[]) {
      if (request === 'floe-mpi' || /native[\\/]mpi$/.test(request)) throw new Error(`libmpi.so.40: cannot open shared object file (${request})`);
      return load.call(this, request, ...rest);
    };
    try {
      const { mpi } = distributedEnv({}, 2);
      assert.equal(mpi.available, false);
      assert.match((mpi as { reason: string }).reason, /^not built or not loadable; Install Open MPI .*`cd native\/mpi && npm run build`.* \(tried floe-mpi: libmpi\.so\.40: cannot open shared object file/);
    } finally {
      Module._load = load;
    }
  });

  it('prints JSON with --json', async () => {
    const lines: string[] = [];
    assert.equal(await runCli(['env', '--backend', 'wasm', '--json'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), 0);
    const report = JSON.parse(lines.join('\n')) as { backend: string; native: { active: boolean }; nativeBackends: Record<string, { installed: boolean }>; distributed: { auto: unknown } };
    assert.equal(report.backend, 'wasm');
    assert.equal(report.nativeBackends.tensorflow.installed, isPackageInstalled('@tensorflow/tfjs-node'));
    assert.deepEqual(report.distributed.auto, { backend: 'none', workers: 1 });
    assert.equal(report.native.active, nativeKernelsStatus().active);
  });
});
