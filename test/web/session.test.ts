/**
 * The page's training session (examples/web/session.ts) is the Node example's run: given the same
 * definition it reaches the same state, and its checkpoint bytes hold what `npm start` writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, loadSafetensorsSync, setBackend } from '../../core/index.js';
import { main, runFiles } from '../../examples/dino-mnist.js';
import { loadMnist } from '../../examples/support/mnist.js';
import { DinoSession } from '../../examples/web/session.js';

const root = mkdtempSync(join(tmpdir(), 'web-session-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the page session', () => {
  it('trains as examples/dino-mnist.ts does: the same checkpoint tensors after 3 steps', async () => {
    const out = join(root, 'node');
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    await main(['--preset', 'tiny', '--steps', '3', '--backend', 'reference', '--train-limit', '200', '--knn-train', '100', '--test-limit', '50', '--out', out], { stdout: quiet });
    const written = loadSafetensorsSync(join(out, runFiles.checkpoint));

    setBackend('reference');
    const session = new DinoSession(loadMnist(), { preset: 'tiny', steps: 3, trainLimit: 200, knnTrain: 100, testLimit: 50 }, 'reference/js');
    for (let step = 0; step < 3; step++) session.step();
    const page = decodeSafetensors(session.checkpoint());

    expect(Object.keys(page.tensors)).toEqual(Object.keys(written.tensors));
    for (const [name, tensor] of Object.entries(written.tensors)) {
      expect([page.tensors[name].dtype, page.tensors[name].shape], name).toEqual([tensor.dtype, tensor.shape]);
      expect(page.tensors[name].dataSync(), name).toEqual(tensor.dataSync());
    }
    // the metadata that describes the run agrees too (not the timings)
    for (const key of ['format', 'step', 'run', 'optimizer_steps', 'backend']) expect(page.metadata[key], key).toBe(written.metadata[key]);
    // the page measures the k-NN baselines only; the Node run adds its probes beside them
    const { probes, ...knnBaselines } = JSON.parse(written.metadata.baselines);
    expect(probes).toBeDefined();
    expect(JSON.parse(page.metadata.baselines)).toEqual(knnBaselines);
    // a session continues from its own checkpoint at the same state
    const reloaded = new DinoSession(loadMnist(), { preset: 'tiny', steps: 3, trainLimit: 200, knnTrain: 100, testLimit: 50 }, 'reference/js');
    reloaded.load(session.checkpoint(), 'the session\'s checkpoint');
    expect(reloaded.state.step).toBe(3);
    const values = (tensors: typeof page.tensors) => Object.fromEntries(Object.entries(tensors).map(([name, tensor]) => [name, [tensor.dtype, tensor.shape, Array.from(tensor.dataSync())]]));
    expect(values(decodeSafetensors(reloaded.checkpoint()).tensors)).toEqual(values(page.tensors));
  }, 120_000);
});
