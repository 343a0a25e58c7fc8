import { strict as assert } from 'assert';
import { NativeKernelsStatus, nativeKernelsStatus, nativeKernelsWarning, resetNativeKernelsStatus } from '../../../src/backend/native';
import { BackendUnavailableError } from '../../../src/errors';
import { checkBackendRequest } from '../../../src/backend/check-backend';

const off = (reason: string, extra: Partial<NativeKernelsStatus> = {}): NativeKernelsStatus => ({ active: false, isa: 'none', kernels: [], reason, ...extra });

describe('nativeKernelsWarning', () => {
  it('warns when wasm trains without the native kernels, naming why and where to look', () => {
    const warning = nativeKernelsWarning(off('addon not built (npm run build:native builds it when a C++ compiler is present)'), 'wasm');
    assert.match(warning ?? '', /^native kernels off \(addon not built \(npm run build:native builds it when a C\+\+ compiler is present\)\): .*~5× slower; `floe env` shows the details/);
    assert.match(nativeKernelsWarning(off('self-test GEMM differs from the JS reference'), 'wasm') ?? '', /self-test GEMM differs/);
  });

  it('says nothing when they are active, turned off on purpose, or the backend is not wasm', () => {
    assert.equal(nativeKernelsWarning({ active: true, isa: 'avx2', kernels: ['BatchMatMul'] }, 'wasm'), undefined);
    assert.equal(nativeKernelsWarning(off('turned off by FLOE_NATIVE=0', { turnedOff: true }), 'wasm'), undefined);
    assert.equal(nativeKernelsWarning(off('addon not built'), 'cpu'), undefined);
    assert.equal(nativeKernelsWarning(off('addon not built'), 'tensorflow'), undefined);
  });
});

describe('FLOE_NATIVE_ISA', () => {
  it('rejects a value that is not an instruction set, listing the ones it accepts', () => {
    const saved = process.env.FLOE_NATIVE_ISA;
    process.env.FLOE_NATIVE_ISA = 'avx3';
    resetNativeKernelsStatus();
    try {
      assert.throws(
        () => nativeKernelsStatus(),
        (e: Error) => e instanceof BackendUnavailableError && /^FLOE_NATIVE_ISA=avx3 is not an instruction set of the native kernels\. Supported: avx2, avx512 /.test(e.message),
      );
    } finally {
      if (saved === undefined) delete process.env.FLOE_NATIVE_ISA;
      else process.env.FLOE_NATIVE_ISA = saved;
      resetNativeKernelsStatus();
    }
    assert.doesNotThrow(() => nativeKernelsStatus());
  });
});

describe('FLOE_NATIVE', () => {
  it('0 turns the native kernels off; any value but 0, 1 or empty is refused, not read as on (FLOE_HUGE_PAGES too)', () => {
    const saved = process.env.FLOE_NATIVE;
    const savedHuge = process.env.FLOE_HUGE_PAGES;
    try {
      for (const value of ['false', 'off', 'no', 'true']) {
        process.env.FLOE_NATIVE = value;
        resetNativeKernelsStatus();
        assert.throws(
          () => nativeKernelsStatus(),
          (e: Error) => e instanceof BackendUnavailableError && e.message === `FLOE_NATIVE=${value} is not a setting of the native kernels: FLOE_NATIVE=0 turns them off; 1 (or unset) uses them where they can run.`,
        );
        // A data-parallel launcher checks the request before any worker starts: the same error, once.
        assert.throws(() => checkBackendRequest({ name: 'wasm' }), /FLOE_NATIVE=\w+ is not a setting of the native kernels/);
      }
      delete process.env.FLOE_NATIVE;
      process.env.FLOE_HUGE_PAGES = 'off';
      assert.throws(() => checkBackendRequest({ name: 'wasm' }), /^BackendUnavailableError: FLOE_HUGE_PAGES=off is not a setting of the native kernels: FLOE_HUGE_PAGES=0 /);
      delete process.env.FLOE_HUGE_PAGES;
      process.env.FLOE_NATIVE = '0';
      resetNativeKernelsStatus();
      assert.deepEqual([nativeKernelsStatus().active, nativeKernelsStatus().turnedOff], [false, true]);
      process.env.FLOE_NATIVE = '1';
      resetNativeKernelsStatus();
      assert.equal(nativeKernelsStatus().turnedOff, undefined);
    } finally {
      if (saved === undefined) delete process.env.FLOE_NATIVE;
      else process.env.FLOE_NATIVE = saved;
      if (savedHuge === undefined) delete process.env.FLOE_HUGE_PAGES;
      else process.env.FLOE_HUGE_PAGES = savedHuge;
      resetNativeKernelsStatus();
    }
  });
});
