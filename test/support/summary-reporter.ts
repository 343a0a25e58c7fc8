import * as Mocha from 'mocha';

const { EVENT_RUN_END } = Mocha.Runner.constants;

/**
 * Mocha's spec reporter plus one closing line CI can read: `N passed, N failed, N skipped`.
 */
export class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      // Printed after Spec's epilogue so it is the last line of the run.
      process.nextTick(() => console.log(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped`));
    });
  }
}

module.exports = SummaryReporter;
