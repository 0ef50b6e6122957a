/**
 * Checks a msgpack frame before it is decoded: every container's element count must fit in the
 * bytes that remain, and nesting is bounded. The decoder allocates an array for a header's count
 * before reading its elements, so without this a 50-byte frame of nested `array32` headers claiming
 * 2^31 elements each would make it allocate gigabytes. Linear, and allocates nothing.
 */

/** Deepest nesting accepted in a client message. */
export const MAX_MSGPACK_DEPTH = 32;

/** Returns a reason the frame cannot be a well-formed, bounded msgpack value, or undefined if it can. */
export function msgpackProblem(bytes: Uint8Array): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Elements still to read at each open container level; one top-level value.
  const remaining: number[] = [1];
  let offset = 0;
  while (remaining.length > 0) {
    if ((remaining[remaining.length - 1] as number) === 0) {
      remaining.pop();
      continue;
    }
    (remaining[remaining.length - 1] as number)--;
    if (offset >= bytes.length) return "truncated";
    const b = bytes[offset] as number;
    let skip = 0; // bytes after the type byte
    let children = 0;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) skip = 0;
    else if (b >= 0x80 && b <= 0x8f) children = (b & 0x0f) * 2;
    else if (b >= 0x90 && b <= 0x9f) children = b & 0x0f;
    else if (b >= 0xa0 && b <= 0xbf) skip = b & 0x1f;
    else {
      const need = (n: number) => offset + 1 + n <= bytes.length;
      switch (b) {
        case 0xc4:
        case 0xd9:
          if (!need(1)) return "truncated";
          skip = 1 + view.getUint8(offset + 1);
          break;
        case 0xc5:
        case 0xda:
          if (!need(2)) return "truncated";
          skip = 2 + view.getUint16(offset + 1);
          break;
        case 0xc6:
        case 0xdb:
          if (!need(4)) return "truncated";
          skip = 4 + view.getUint32(offset + 1);
          break;
        case 0xc7:
          if (!need(1)) return "truncated";
          skip = 2 + view.getUint8(offset + 1);
          break;
        case 0xc8:
          if (!need(2)) return "truncated";
          skip = 3 + view.getUint16(offset + 1);
          break;
        case 0xc9:
          if (!need(4)) return "truncated";
          skip = 5 + view.getUint32(offset + 1);
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          skip = 8;
          break;
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
          skip = 2;
          break;
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          skip = 1 + 2 ** (b - 0xd4);
          break;
        case 0xdc:
        case 0xde:
          if (!need(2)) return "truncated";
          skip = 2;
          children = view.getUint16(offset + 1) * (b === 0xde ? 2 : 1);
          break;
        case 0xdd:
        case 0xdf:
          if (!need(4)) return "truncated";
          skip = 4;
          children = view.getUint32(offset + 1) * (b === 0xdf ? 2 : 1);
          break;
        default:
          return `invalid type byte 0x${b.toString(16)}`;
      }
    }
    offset += 1 + skip;
    if (offset > bytes.length) return "truncated";
    if (children > 0) {
      // Each element takes at least one byte: a count larger than what is left is a lie.
      if (children > bytes.length - offset) return "a container claims more elements than the frame holds";
      if (remaining.length >= MAX_MSGPACK_DEPTH) return `nested deeper than ${MAX_MSGPACK_DEPTH}`;
      remaining.push(children);
    }
  }
  return offset === bytes.length ? undefined : "trailing bytes after the message";
}
