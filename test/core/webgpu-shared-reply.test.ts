/**
 * The device's replies through shared memory (core/backend/webgpu/shared-reply.js), the browser's
 * reply path: what is written is what is read, typed arrays included, and the buffer grows to fit.
 * The path itself runs in chromium in test/web/page.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readReply, writeReply } from '../../core/backend/webgpu/shared-reply.js';

const buffers = (bytes: number, maxByteLength: number) => ({
  control: new Int32Array(new SharedArrayBuffer(8)),
  data: new (SharedArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => SharedArrayBuffer)(bytes, { maxByteLength }),
});

describe('a device reply through shared memory', () => {
  it('reads back what was written: JSON values, typed arrays at any depth, the ready flag and the length', () => {
    const { control, data } = buffers(64, 1 << 20);
    const reply = {
      ok: true,
      value: { outputs: [Float32Array.from([1.5, -2, Math.PI]), Int32Array.from([7, -8])], bytes: Uint8Array.from([1, 2, 3]), name: 'run', count: 3, nothing: null },
    };
    writeReply(control, data, reply);
    expect(Atomics.load(control, 0)).toBe(1);
    expect(data.byteLength).toBe(Atomics.load(control, 1)); // grown from 64 bytes to exactly the reply
    const read = readReply(control, data);
    expect(read).toEqual(reply);
    expect(read.value.outputs[0]).toBeInstanceOf(Float32Array);
    expect(read.value.outputs[1]).toBeInstanceOf(Int32Array);
    // the arrays read are copies, not views of the shared buffer the next reply overwrites
    expect(read.value.outputs[0].buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('a reply larger than the buffer may grow to is refused, and an error reply reads as written', () => {
    const { control, data } = buffers(16, 256);
    expect(() => writeReply(control, data, { ok: true, value: new Float32Array(100) })).toThrow(RangeError);
    expect(Atomics.load(control, 0)).toBe(0);
    writeReply(control, data, { ok: false, error: 'no adapter' });
    expect(readReply(control, data)).toEqual({ ok: false, error: 'no adapter' });
  });
});
