import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitsUtf8, portableUtf8ByteLength, utf8ByteLength } from '../../packages/protocol/src/limits.js';

describe('UTF-8 length of wire strings', () => {
  // TextEncoder is the reference: it encodes (a lone surrogate as U+FFFD,
  // three bytes), where both counts only count.
  const encoded = (s: string) => new TextEncoder().encode(s).length;

  it('equals the encoded length for any string, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        expect(utf8ByteLength(s)).toBe(encoded(s));
        // The count browsers use, where there is no Buffer.
        expect(portableUtf8ByteLength(s)).toBe(encoded(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('counts ASCII by length and anything else by bytes, at the limit', () => {
    expect(utf8ByteLength('a'.repeat(2048))).toBe(2048);
    expect(fitsUtf8('a'.repeat(2048), 2048)).toBe(true);
    expect(fitsUtf8(`${'a'.repeat(2047)}é`, 2048)).toBe(false);
    expect(utf8ByteLength('😀')).toBe(4);
    expect(utf8ByteLength('\ud800')).toBe(3);
    expect(portableUtf8ByteLength('😀')).toBe(4);
    expect(portableUtf8ByteLength('\ud800')).toBe(3);
    expect(portableUtf8ByteLength(`${'a'.repeat(2047)}é`)).toBe(2049);
  });
});
