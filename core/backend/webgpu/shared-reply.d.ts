/** See shared-reply.js: a device reply through shared memory, for a browser's workers. */
export declare function writeReply(control: Int32Array, data: SharedArrayBuffer, reply: unknown): void;
export declare function readReply(control: Int32Array, data: SharedArrayBuffer): any;
