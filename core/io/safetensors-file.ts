/**
 * safetensors files on disk, in Node only: the format itself (bytes ⇄ tensors and trees) is in
 * safetensors.ts and runs anywhere. Node's fs is found at run time (see platform/node-builtin.ts), so
 * a browser bundle that imports core holds no `node:fs`; in a browser these functions throw a
 * PlatformError that points to the functions on bytes.
 */
import { requireNodeBuiltin } from '../platform/node-builtin.js';
import { type LoadSafetensorsOptions, type LoadedSafetensors, SafetensorsError, checkLoadOptions, decodeTree, encodeTree } from './safetensors.js';

/**
 * Flattens `tree` with dotted names (`blocks.0.norm1.weight`) and writes it atomically: a temp file
 * in the same directory, fsynced, then renamed over `path`, so a crash never leaves half a checkpoint.
 */
export async function saveSafetensors(path: string, tree: unknown, metadata?: Record<string, string>): Promise<void> {
  const bytes = encodeTree(tree, metadata, 'saveSafetensors');
  const fsPromises = requireNodeBuiltin('node:fs/promises', 'saveSafetensors');
  const nodePath = requireNodeBuiltin('node:path', 'saveSafetensors');
  const temporary = temporaryPath(path);
  try {
    const handle = await fsPromises.open(temporary, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsPromises.rename(temporary, path);
  } catch (error) {
    await fsPromises.rm(temporary, { force: true }).catch(() => undefined);
    throw new SafetensorsError(`saveSafetensors: could not write ${path}: ${(error as Error).message}`, { cause: error });
  }
  await fsPromises
    .open(nodePath.dirname(path), 'r')
    .then(async (directory) => directory.sync().finally(() => directory.close()))
    .catch(() => undefined); // persisting the rename is best effort: not every platform can fsync a directory
}

/** The synchronous `saveSafetensors`. */
export function saveSafetensorsSync(path: string, tree: unknown, metadata?: Record<string, string>): void {
  const bytes = encodeTree(tree, metadata, 'saveSafetensorsSync');
  const fs = requireNodeBuiltin('node:fs', 'saveSafetensorsSync');
  const nodePath = requireNodeBuiltin('node:path', 'saveSafetensorsSync');
  const temporary = temporaryPath(path);
  try {
    const descriptor = fs.openSync(temporary, 'wx');
    try {
      fs.writeFileSync(descriptor, bytes);
      fs.fsyncSync(descriptor);
    } finally {
      fs.closeSync(descriptor);
    }
    fs.renameSync(temporary, path);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new SafetensorsError(`saveSafetensorsSync: could not write ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const directory = fs.openSync(nodePath.dirname(path), 'r');
    try {
      fs.fsyncSync(directory);
    } finally {
      fs.closeSync(directory);
    }
  } catch {
    // best effort, as above
  }
}

function temporaryPath(path: string): string {
  const { randomBytes } = requireNodeBuiltin('node:crypto', 'saveSafetensors');
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Reads a file written by `saveSafetensors` or any safetensors writer; see `loadSafetensorsSync`. */
export async function loadSafetensors(path: string, options?: LoadSafetensorsOptions): Promise<LoadedSafetensors> {
  const checked = checkLoadOptions('loadSafetensors', options);
  const fsPromises = requireNodeBuiltin('node:fs/promises', 'loadSafetensors');
  let bytes: Uint8Array;
  try {
    bytes = await fsPromises.readFile(path);
  } catch (error) {
    throw readError('loadSafetensors', path, error);
  }
  return decodeTree(bytes, `loadSafetensors(${path})`, checked);
}

/**
 * Reads `path`. Without `like`, `tree` is rebuilt from the dotted names. With `like`, names are
 * matched against the target tree, each shared tensor's shape and dtype must equal the target's,
 * and `tree` has the target's structure; `strict` (default true) makes missing or unexpected names
 * an error, and otherwise missing names keep the target's tensors.
 */
export function loadSafetensorsSync(path: string, options?: LoadSafetensorsOptions): LoadedSafetensors {
  const checked = checkLoadOptions('loadSafetensorsSync', options);
  const fs = requireNodeBuiltin('node:fs', 'loadSafetensorsSync');
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (error) {
    throw readError('loadSafetensorsSync', path, error);
  }
  return decodeTree(bytes, `loadSafetensorsSync(${path})`, checked);
}

function readError(caller: string, path: string, error: unknown): SafetensorsError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file' : (error as Error).message;
  return new SafetensorsError(`${caller}: cannot read ${path}: ${reason}`, { cause: error });
}
