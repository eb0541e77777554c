import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { normalizeSessionId } from './session-id.js';

// The reference of reliability.md H5: RFC 9562 syntax, any letter case, nothing around it;
// the nil and max UUIDs carry no randomness and are refused as well.
const REFERENCE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
function reference(value: unknown): string | null {
  if (typeof value !== 'string' || !REFERENCE.test(value)) return null;
  const id = value.toLowerCase();
  if (id === '00000000-0000-0000-0000-000000000000' || id === 'ffffffff-ffff-ffff-ffff-ffffffffffff') return null;
  return id;
}

const ID = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';

describe('session id (protocol.md "Frames": a UUID, case-insensitive, normalised to lower case)', () => {
  test('H5: a valid UUID is accepted as is', () => {
    assert.equal(normalizeSessionId(ID), ID);
  });

  test('H5: upper and mixed case name the same session (normalised to lower case)', () => {
    assert.equal(normalizeSessionId(ID.toUpperCase()), ID);
    assert.equal(normalizeSessionId('3F2b8C1e-9A4d-4E6f-8B7a-1C2d3E4f5A6b'), ID);
  });

  test('H5: any version and variant nibble is accepted (v1, v4, v7)', () => {
    for (const id of [
      'c232ab00-9414-11ec-b3c8-9f6bdeced846',
      '919108f7-52d1-4320-9bac-f847db4148a8',
      '017f22e2-79b0-7cc3-98c4-dc0c0c07398f',
    ]) {
      assert.equal(normalizeSessionId(id), id);
    }
  });

  const refused: Array<[string, unknown]> = [
    ['absent', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', { id: ID }],
    ['an array', [ID]],
    ['empty', ''],
    ['spaces around', ` ${ID} `],
    ['a trailing newline', `${ID}\n`],
    ['a leading space', ` ${ID}`],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
    ['the max UUID', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
    ['the max UUID upper case', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'],
    ['37 characters', `${ID}0`],
    ['35 characters', ID.slice(0, 35)],
    ['in braces', `{${ID}}`],
    ['URL-encoded', encodeURIComponent(`{${ID}}`)],
    ['a percent-encoded dash', ID.replace('-', '%2D')],
    ['without dashes', ID.replaceAll('-', '')],
    ['dashes moved', '3f2b8c1e9-a4d-4e6f-8b7a-1c2d3e4f5a6b'],
    ['a non-hex letter', ID.replace('f', 'g')],
    ['a Cyrillic homoglyph а', ID.replace('a', '\u0430')],
    ['a Cyrillic homoglyph е', ID.replace('e', '\u0435')],
    ['a fullwidth digit', ID.replace('3', '\uFF13')],
    ['an en dash', ID.replace('-', '\u2013')],
    ['a NUL', `${ID.slice(0, 35)}\u0000`],
    ['%00', `${ID.slice(0, 33)}%00`],
    ['path traversal', '../../../../../../../../../etc/passwd'],
    ['8 KiB long', ID.repeat(228)],
    ['urn prefix', `urn:uuid:${ID}`],
  ];
  for (const [name, value] of refused) {
    test(`H5: refused: ${name}`, () => {
      assert.equal(normalizeSessionId(value), null);
    });
  }

  test('H5: 10,000 generated strings are classified exactly as the reference regex', () => {
    const hex = fc.constantFrom(...'0123456789abcdefABCDEFgG-\u0430 {}%');
    const nearUuid = fc.array(hex, { minLength: 30, maxLength: 40 }).map((chars) => chars.join(''));
    const mutatedUuid = fc
      .tuple(fc.uuid(), fc.nat(35), fc.constantFrom('', 'x', '-', 'A', ' ', '0', '\u0430', 'ff'))
      .map(([id, at, ins]) => id.slice(0, at) + ins + id.slice(at + 1));
    const mixedCaseUuid = fc
      .tuple(fc.uuid(), fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }))
      .map(([id, up]) => [...id].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));
    const anyValue = fc.oneof(nearUuid, mutatedUuid, mixedCaseUuid, fc.uuid(), fc.string(), fc.anything());
    fc.assert(
      fc.property(anyValue, (value) => {
        assert.equal(normalizeSessionId(value), reference(value));
      }),
      { numRuns: 10_000 },
    );
  });

  test('H5: every accepted id comes back lower case and 36 characters long', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.boolean(), (id, upper) => {
        const out = normalizeSessionId(upper ? id.toUpperCase() : id);
        if (out === null) return; // nil/max are refused (checked above)
        assert.equal(out, id.toLowerCase());
        assert.equal(out.length, 36);
      }),
      { numRuns: 1000 },
    );
  });
});
