// A device reply written into shared memory, for hosts without Node's receiveMessageOnPort (a browser's
// workers): the device worker writes the reply's bytes and their length, then wakes the waiting thread,
// which decodes them. Plain JavaScript, as device-thread.js imports it with no TypeScript loader.
//
// Layout of `data`: a u32 header length, the header (the reply as JSON, each typed array replaced by
// {"$typed": constructor name, "at": byte offset after the header, "length": elements}), then the arrays'
// bytes, each 8-aligned. `control` holds [0] the flag (1: a reply is ready) and [1] the reply's byte length.

const typedArrays = { Float32Array, Float64Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array };
const align = (offset) => Math.ceil(offset / 8) * 8;

/** Writes `reply` into the growable SharedArrayBuffer `data` (grown when it must), then wakes the waiter. */
export function writeReply(control, data, reply) {
  const arrays = [];
  let binaryBytes = 0;
  const header = JSON.stringify(reply, function (key, value) {
    const found = this[key];
    if (ArrayBuffer.isView(found) && typedArrays[found.constructor.name] === found.constructor) {
      arrays.push({ array: found, at: binaryBytes });
      binaryBytes = align(binaryBytes + found.byteLength);
      return { $typed: found.constructor.name, at: arrays.at(-1).at, length: found.length };
    }
    return value;
  });
  const headerBytes = new TextEncoder().encode(header);
  const binaryStart = align(4 + headerBytes.length);
  const total = binaryStart + binaryBytes;
  if (total > data.byteLength) {
    if (total > data.maxByteLength) throw new RangeError(`a device reply of ${total} bytes exceeds the shared reply buffer's ${data.maxByteLength}`);
    data.grow(total);
  }
  new DataView(data).setUint32(0, headerBytes.length, true);
  new Uint8Array(data, 4, headerBytes.length).set(headerBytes);
  for (const { array, at } of arrays) new Uint8Array(data, binaryStart + at, array.byteLength).set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  Atomics.store(control, 1, total);
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
}

/** Reads the reply that `writeReply` left in `data`, copied out of shared memory. */
export function readReply(control, data) {
  const total = Atomics.load(control, 1);
  const headerLength = new DataView(data).getUint32(0, true);
  const header = new TextDecoder().decode(new Uint8Array(data, 4, headerLength).slice());
  const binaryStart = align(4 + headerLength);
  return JSON.parse(header, (_key, value) => {
    if (value === null || typeof value !== 'object' || typeof value.$typed !== 'string') return value;
    const Type = typedArrays[value.$typed];
    const start = binaryStart + value.at;
    const bytes = value.length * (Type?.BYTES_PER_ELEMENT ?? 0);
    if (!Type || start + bytes > total) throw new RangeError(`a device reply's ${value.$typed} reads past the ${total} bytes written`);
    const out = new Type(value.length);
    new Uint8Array(out.buffer).set(new Uint8Array(data, start, bytes));
    return out;
  });
}
