/**
 * One-bit changes: the smallest corruption a body, a header or an address
 * can suffer, on the wire or at the hands of a forger.
 */
import fc from 'fast-check'

/** `bytes` with bit `bit` flipped, counting from the first byte's lowest. */
export function flipBufferBit(bytes: Buffer, bit: number): Buffer {
  const copy = Buffer.from(bytes)
  const i = Math.floor(bit / 8) % copy.length
  copy[i] = copy[i]! ^ (1 << (bit % 8))

  return copy
}

/**
 * `text` with one bit of one character flipped; each character counts as
 * one byte (header values are Latin-1 on the wire).
 */
export function flipTextBit(text: string, bit: number): string {
  if (text === '') return '\u0001'

  const i = Math.floor(bit / 8) % text.length
  const flipped = text.charCodeAt(i) ^ (1 << (bit % 8))

  return text.slice(0, i) + String.fromCharCode(flipped) + text.slice(i + 1)
}

/** Which bit to flip: any bit of a value up to `maxBytes` long. */
export function anyBit(maxBytes = 4096): fc.Arbitrary<number> {
  return fc.nat({ max: maxBytes * 8 - 1 })
}

/** True when `a` and `b` differ in the case of ASCII letters only. */
export function differInCaseOnly(a: string, b: string): boolean {
  return a !== b && a.toLowerCase() === b.toLowerCase()
}
