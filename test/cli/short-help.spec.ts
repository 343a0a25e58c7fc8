import { strict as assert } from 'assert';
import { cli } from '../support/cli-run';

describe('floe -h', () => {
  it('prints the same help as --help, for floe and for a command, and exits 0', async () => {
    for (const argv of [[], ['train'], ['generate']]) {
      const short = await cli(...argv, '-h');
      const long = await cli(...argv, '--help');
      assert.equal(short.code, 0, short.err.join('\n'));
      assert.deepEqual(short.err, []);
      assert.deepEqual(short.out, long.out);
      assert.match(short.out.join('\n'), /-h, --help|--help, -h|-h\b/);
    }
  });
});
