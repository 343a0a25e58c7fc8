import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGradientInfo, sumTapRowsInto, type Shape4, type TapRow } from './conv-taps';

/**
 * `Conv2DBackpropFilter` for wasm, which tfjs-backend-wasm lacks; without it the gradient of a
 * conv1d/conv2d layer's kernel throws. `dW[fh, fw, ci, co] = Σ x[b, xr, xc, ci] · dy[b, oh, ow, co]`
 * with `xr = oh·strideH + fh·dilationH − padTop` (likewise for columns), NHWC only. Attrs as
 * tfjs passes them (`strides`, `pad`, `dataFormat`, `dimRoundingMode`, `filterShape`), plus an
 * optional `dilations` (tfjs's conv2d gradient refuses dilations > 1 before it gets here). Plain
 * JS loops over the heap, tap by tap (that tap's `inChannels × outChannels` sums stay in cache),
 * in blocks of four output positions × four input channels, the innermost over output channels
 * (contiguous in `dy` and `dW`); summed in float64 and written once.
 */
export function createConv2DBackpropFilterKernel(): KernelConfig {
  const kernelName = 'Conv2DBackpropFilter';
  const kernelFunc: KernelFunc = (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const filterShape = (args.attrs as NamedAttrMap).filterShape as unknown as Shape4;
    const info = convGradientInfo(kernelName, x.shape as Shape4, filterShape, [x, dy], dy, args.attrs as NamedAttrMap, false);
    const { inChannels, outChannels } = info;
    const xStep = info.strideWidth * inChannels;
    return sumTapRowsInto(args.backend, info, filterShape, [x, dy], (sums, xs, dys, row) => accumulateFilterRow({ sums, xs, dys, row, xStep, inChannels, outChannels }));
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}

/**
 * Adds one tap row's products to `sums[tap, ci, co]`. Positions in fours: each sum is loaded and
 * stored once per four products; input channels in fours too, so each `dy` value loaded serves
 * four sums (16 products per four `dy` loads and four sum updates). Leftovers one by one.
 */
function accumulateFilterRow(a: { sums: Float64Array; xs: Float32Array; dys: Float32Array; row: TapRow; xStep: number; inChannels: number; outChannels: number }): void {
  const { sums, xs, dys, xStep, inChannels, outChannels } = a;
  const { xBase, dyBase, count } = a.row;
  const wBase = a.row.tap * inChannels * outChannels;
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const x0 = xBase + k * xStep;
    const d0 = dyBase + k * outChannels;
    const d1 = d0 + outChannels;
    const d2 = d1 + outChannels;
    const d3 = d2 + outChannels;
    const x1 = x0 + xStep;
    const x2 = x1 + xStep;
    const x3 = x2 + xStep;
    let ci = 0;
    for (; ci + 4 <= inChannels; ci += 4) {
      // x at channels ci (a), ci + 1 (b), ci + 2 (c), ci + 3 (g), positions 0..3.
      const a0 = xs[x0 + ci], a1 = xs[x1 + ci], a2 = xs[x2 + ci], a3 = xs[x3 + ci];
      const b0 = xs[x0 + ci + 1], b1 = xs[x1 + ci + 1], b2 = xs[x2 + ci + 1], b3 = xs[x3 + ci + 1];
      const c0 = xs[x0 + ci + 2], c1 = xs[x1 + ci + 2], c2 = xs[x2 + ci + 2], c3 = xs[x3 + ci + 2];
      const g0 = xs[x0 + ci + 3], g1 = xs[x1 + ci + 3], g2 = xs[x2 + ci + 3], g3 = xs[x3 + ci + 3];
      const wa = wBase + ci * outChannels;
      const wb = wa + outChannels;
      const wc = wb + outChannels;
      const wg = wc + outChannels;
      for (let co = 0; co < outChannels; co++) {
        const e0 = dys[d0 + co];
        const e1 = dys[d1 + co];
        const e2 = dys[d2 + co];
        const e3 = dys[d3 + co];
        sums[wa + co] += a0 * e0 + a1 * e1 + a2 * e2 + a3 * e3;
        sums[wb + co] += b0 * e0 + b1 * e1 + b2 * e2 + b3 * e3;
        sums[wc + co] += c0 * e0 + c1 * e1 + c2 * e2 + c3 * e3;
        sums[wg + co] += g0 * e0 + g1 * e1 + g2 * e2 + g3 * e3;
      }
    }
    for (; ci < inChannels; ci++) {
      const v0 = xs[x0 + ci];
      const v1 = xs[x1 + ci];
      const v2 = xs[x2 + ci];
      const v3 = xs[x3 + ci];
      const w = wBase + ci * outChannels;
      for (let co = 0; co < outChannels; co++) sums[w + co] += v0 * dys[d0 + co] + v1 * dys[d1 + co] + v2 * dys[d2 + co] + v3 * dys[d3 + co];
    }
  }
  for (; k < count; k++) {
    const x0 = xBase + k * xStep;
    const d0 = dyBase + k * outChannels;
    for (let ci = 0; ci < inChannels; ci++) {
      const v0 = xs[x0 + ci];
      const w = wBase + ci * outChannels;
      for (let co = 0; co < outChannels; co++) sums[w + co] += v0 * dys[d0 + co];
    }
  }
}
