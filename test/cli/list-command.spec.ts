import { strict as assert } from 'assert';
import { cli } from '../support/cli-run';

describe('floe list <a type>', () => {
  it('names the kind that lists a type given in place of a kind (floe list gpt → floe list model)', async () => {
    const gpt = await cli('list', 'gpt');
    assert.equal(gpt.code, 1);
    assert.match(gpt.err[0], /^error: Unknown kind 'gpt'\. Kinds: trainer, .*\. 'gpt' is a type of kind model \(floe list model\)\.$/);
    // A name of several kinds names each; a word that is no type keeps the plugin hint.
    const sft = await cli('list', 'sft');
    assert.match(sft.err[0], /'sft' is a type of kind trainer \(floe list trainer\) and of kind data \(floe list data\)\.$/);
    const other = await cli('list', 'blorp');
    assert.match(other.err[0], /A kind a plugin declares is listed with its plugin: floe list blorp --code \.\/plugin\.js\.$/);
  });
});
