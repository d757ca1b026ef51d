// Runs the security rule table on both synthesized stacks, and proves each rule catches the break it describes.
import assert from 'node:assert/strict';
import { SECURITY_RULES } from './security-rules';
import { synthFixture } from './stack-fixture';

describe('security rules', () => {
  const stacks = {
    build: synthFixture('build').json,
    prebuilt: synthFixture('prebuilt').json,
    'default config': synthFixture('prebuilt', { featureSpecs: undefined, tags: {}, api: {} }).json,
  };

  it('have unique ids', () => {
    const ids = SECURITY_RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
  });

  for (const rule of SECURITY_RULES) {
    describe(`${rule.id}: ${rule.description}`, () => {
      for (const [name, stack] of Object.entries(stacks)) {
        it(`holds for the ${name} stack`, () => {
          assert.deepEqual(rule.check(stack), []);
        });
      }
      it('catches a stack that breaks it', () => {
        const broken = structuredClone(stacks.build);
        rule.breaks(broken);
        assert.notDeepEqual(rule.check(broken), []);
      });
    });
  }
});
