import { strict as assert } from 'assert';
import { runCli } from '../../../src/cli/main';
import { nativeKernelsStatus } from '../../../src/backend/native';

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

  it('prints JSON with --json', async () => {
    const lines: string[] = [];
    assert.equal(await runCli(['env', '--backend', 'wasm', '--json'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), 0);
    const report = JSON.parse(lines.join('\n')) as { backend: string; native: { active: boolean } };
    assert.equal(report.backend, 'wasm');
    assert.equal(report.native.active, nativeKernelsStatus().active);
  });
});
