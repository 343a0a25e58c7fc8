import * as assert from 'assert';
import { CliIo, rankTaggedIo } from '../../src/cli/cli-io';

describe('rankTaggedIo', () => {
  const capture = (): { io: CliIo; lines: string[] } => {
    const lines: string[] = [];
    return { io: { out: (l) => lines.push(`out ${l}`), err: (l) => lines.push(`err ${l}`) }, lines };
  };

  it('tags every line of a non-zero mpirun rank, stack lines included', () => {
    const { io, lines } = capture();
    const tagged = rankTaggedIo(io, { OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '3' });
    tagged.err('error: data file missing\n    at x');
    tagged.out('note');
    assert.deepEqual(lines, ['err [rank 3] error: data file missing\n[rank 3]     at x', 'out [rank 3] note']);
  });

  it('leaves rank 0 and processes not started by mpirun as they are', () => {
    const { io } = capture();
    assert.equal(rankTaggedIo(io, { OMPI_COMM_WORLD_SIZE: '2', OMPI_COMM_WORLD_RANK: '0' }), io);
    assert.equal(rankTaggedIo(io, {}), io);
  });
});
